#!/usr/bin/env bash
# The whole test suite (the README's test command; CI runs it). On a fresh machine it first
# installs what the web interface's browser tests need: Debian's chromium and chromium-driver.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -q
  apt-get install -y -q chromium chromium-driver fonts-dejavu-core
fi
exec cargo test --workspace --locked "$@"
