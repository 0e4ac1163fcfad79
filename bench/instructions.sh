#!/usr/bin/env bash
# Instructions per gateway call, counted by callgrind: unlike throughput, the same binary and load
# give the same count whatever else the machine is doing, so a small A/B difference is visible.
#
#   bench/instructions.sh                          this tree's release build
#   IOP_BASELINE=/path/to/old/iop bench/instructions.sh   A/B: both, ending "iop/baseline instructions ratio"
#
# Each binary runs `iop serve --demo` under valgrind (instrumentation off during start-up), the
# benchmark's upstream (nginx) stands behind the demo service, and after a warm-up the counters are
# zeroed, N calls are made with one connection at a time (curl --parallel off, keep-alive), and the
# instructions of the whole process (all threads) are divided by N. The call-record import into the
# store is off (importar_llamadas_ms far away) so that only the call path is counted; its cost is in
# bench/gateway.sh's figures.
set -euo pipefail
# The script's own IOP_* settings are not iop's: iop reads every IOP_* variable as a file key.
export -n IOP_BASELINE IOP_EXTRA 2>/dev/null || true
cd "$(dirname "$0")/.."
N=${N:-2000}
command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
command -v nginx >/dev/null || { apt-get update -q && apt-get install -y -q nginx; }
cargo build --release --locked --bin iop
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$W"; }
trap cleanup EXIT
UP=18910
BODY='{"ci":"1234567","nombres":"JUANA","primer_apellido":"PEREZ","segundo_apellido":"DEMO","fecha_nacimiento":"1990-01-01","vigente":true,"aviso":"ficticio"}'
mkdir -p "$W/up"
cat > "$W/up/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $W/up/nginx.pid; error_log $W/up/error.log warn;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $W/up; proxy_temp_path $W/up; fastcgi_temp_path $W/up; uwsgi_temp_path $W/up; scgi_temp_path $W/up;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$UP; location / { default_type application/json; return 200 '$BODY'; } } }
CONF
nginx -c "$W/up/nginx.conf" & PIDS+=($!)
printf 'importar_llamadas_ms = 3600000\npuntos_de_control_s = 3600\n' > "$W/iop.toml"

count() { # name binary port-offset -> instructions per call
  local name=$1 bin=$2 c=$((18920 + $3)) g=$((18930 + $3)) d="$W/$1"
  mkdir -p "$d"
  # Set up natively (migrations, demo seed, the consumer's grant and key), then restart the same
  # data directory under valgrind.
  "$bin" serve --demo --config "$W/iop.toml" --data-dir "$d/data" --log warn \
    --control-addr 127.0.0.1:$c --gateway-addr 127.0.0.1:$g > "$d/out0" 2> "$d/err0" &
  local pid0=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$c/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  local key base; read -r key base < <(python3 bench/iop_setup.py "http://127.0.0.1:$c" "http://127.0.0.1:$UP")
  kill "$pid0"; wait "$pid0" 2>/dev/null || true
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/cg.out" \
    "$bin" serve --demo --config "$W/iop.toml" --data-dir "$d/data" --log warn \
    --control-addr 127.0.0.1:$c --gateway-addr 127.0.0.1:$g > "$d/out" 2> "$d/err" &
  local pid=$!; PIDS+=($pid)
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$c/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$c/readyz" >/dev/null || { echo "$name did not start under valgrind" >&2; cat "$d/err" >&2; exit 1; }
  local url="http://127.0.0.1:$g${base}personas/1234567"
  # Warm-up (connections, snapshot, caches), then count exactly N calls.
  for _ in $(seq 1 200); do curl -sf -o /dev/null -H "apikey: $key" "$url" || true; done
  callgrind_control -i on "$pid" >/dev/null 2>&1
  callgrind_control -z "$pid" >/dev/null 2>&1
  local urls="$d/urls"; : > "$urls"
  for _ in $(seq 1 "$N"); do printf 'url = "%s"\noutput = /dev/null\n' "$url" >> "$urls"; done
  curl -s -K "$urls" -H "apikey: $key" -w '%{http_code}\n' | sort | uniq -c | awk '$2 != 200 {print "non-200:", $0; bad=1} END {exit bad}'
  callgrind_control -d "$pid" >/dev/null 2>&1
  sleep 1
  # KEEP=dir: keep each profile there (callgrind_annotate dir/NAME.cg).
  [ -z "${KEEP:-}" ] || { mkdir -p "$KEEP"; cp "$d/cg.out.1" "$KEEP/$name.cg"; }
  local total; total=$(awk '/^summary:/ {s+=$2} END {print s}' "$d/cg.out.1")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 -c "print(round($total / $N))"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(valgrind --version); N=$N calls"
IOP=$PWD/target/release/iop
A=$(count iop "$IOP" 0)
echo "iop: $A instructions per call"
if [ -n "${IOP_BASELINE:-}" ]; then
  B=$(count base "$IOP_BASELINE" 1)
  echo "iop-base: $B instructions per call"
  echo "iop/baseline instructions ratio: $(python3 -c "print(f'{$A/$B:.3f}')")"
fi
