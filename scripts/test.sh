#!/usr/bin/env bash
# The whole test suite (the README's test command; CI runs it). On a fresh machine it first
# installs what the web interface's browser tests need (Debian's chromium and chromium-driver, and
# axe-core from the npm registry) and poppler-utils (the documents' tests read PDFs with pdftotext).
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
exec cargo test --workspace --locked "$@"
