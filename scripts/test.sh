#!/usr/bin/env bash
# The whole test suite (the README's test command; CI runs it). On a fresh machine it first
# installs what the web interface's browser tests need (Debian's chromium and chromium-driver, and
# axe-core from the npm registry), poppler-utils (the documents' tests read PDFs with pdftotext)
# and, from PyPI, openapi-spec-validator, pyHanko and aiosmtpd.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v pdftotext >/dev/null; then
  apt-get update -q
  apt-get install -y -q chromium chromium-driver fonts-dejavu-core poppler-utils
fi
# axe-core (accessibility rules the browser tests run on every page), from the npm registry.
AXE=target/axe/node_modules/axe-core/axe.min.js
if [ ! -s "$AXE" ]; then
  command -v npm >/dev/null || { apt-get update -q; apt-get install -y -q npm; }
  npm install --silent --no-audit --no-fund --prefix target/axe axe-core@4
fi
# openapi-spec-validator (PyPI): the access documentation's filtered OpenAPI is validated with it.
if ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7,<0.10' \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'openapi-spec-validator>=0.7,<0.10'
fi
# pyHanko (PyPI): the documents' tests sign the approved Nota Interna as an official would
# (crates/iop/tests/it/datos/firmar.py) to file the signed copy.
# aiosmtpd (PyPI): the notices' tests start a local SMTP sink (crates/iop/tests/it/datos/buzon.py).
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2' \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'aiosmtpd>=1.4,<2'
fi
if ! python3 -c 'import pyhanko.sign' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'pyHanko>=0.25,<1' \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'pyHanko>=0.25,<1'
fi
exec cargo test --workspace --locked "$@"
