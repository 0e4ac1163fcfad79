#!/usr/bin/env bash
# Validates the control-plane API's OpenAPI document against the OpenAPI 3.1 schema
# (openapi-spec-validator), then fuzzes the API from it with schemathesis: every generated
# request, valid or not, must get a documented status and content type, a body matching its
# schema, and never a 5xx. Runs `iop serve --demo` on loopback with a fresh data dir.
#   usage: scripts/fuzz-api.sh [path/to/iop]   (default: target/debug/iop)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/iop}
[ -x "$BIN" ] || cargo build --locked --bin iop
if ! command -v st >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi
if ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7,<0.10'
fi
ST=$(command -v st || echo "python3 -m schemathesis.cli")
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/iop.toml" <<'TOML'
# The fuzzer sends many bad logins from one address: lift the throttle for this run.
login_max_fallos_ip = 1000000
login_max_fallos_cuenta = 1000000
TOML
"$BIN" serve --demo --config "$work/iop.toml" --data-dir "$work/data" \
  --control-addr 127.0.0.1:0 --gateway-addr 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=$!
base=""
for _ in $(seq 1 300); do
  base=$(sed -n 's|.*API (plano de control): \(http://[0-9.:]*\)/api/v1.*|\1|p' "$work/out" | head -1)
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "the server did not start"; cat "$work/err"; exit 1; }
curl -sf "$base/api/openapi.json" -o "$work/openapi.json"
python3 - "$work/openapi.json" <<'PY'
import json, sys
from openapi_spec_validator import OpenAPIV31SpecValidator
errors = list(OpenAPIV31SpecValidator(json.load(open(sys.argv[1]))).iter_errors())
for e in errors[:20]:
    print("/".join(str(p) for p in e.absolute_path), "-", e.message.splitlines()[0])
print(f"openapi 3.1 schema: {len(errors)} errors")
sys.exit(1 if errors else 0)
PY
token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"usuario":"admin","contrasena":"demo-iop-2026"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
# Logout and password changes would revoke the fuzzer's own token; they are tested elsewhere.
# positive_data_acceptance is left out: the schema says "string" where the API parses stricter
# values (acronyms, codes, UUIDs), and those refusals are the point.
# Bodies documented as application/pdf are sent as raw bytes (scripts/fuzz_hooks.py).
PYTHONPATH="scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=fuzz_hooks \
$ST run "$base/api/openapi.json" -H "Authorization: Bearer $token" \
  --checks all --exclude-checks positive_data_acceptance \
  --exclude-path /api/v1/auth/logout --exclude-path-regex 'contrasena|usuarios/\{id\}$' \
  --max-examples "${FUZZ_EXAMPLES:-40}" --seed "${FUZZ_SEED:-20261126}" --no-color
echo "api fuzz: no server error, every answer documented"
