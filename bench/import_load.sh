#!/usr/bin/env bash
# The gateway's latency while a large description is imported: iop alone on one core (taskset,
# every thread, the importer included), wrk (-t1 -c64) and the upstream on the other. Rounds
# alternate: (a) calls only, (b) the same calls while a 10 MiB OpenAPI description is uploaded
# again and again to another service (each upload is read, imported, stored, and the gateway's
# snapshot rebuilt). The run ends with "p99 with uploads / p99 without: X", the ratio of the
# medians, and how long each upload took.
#
#   bench/import_load.sh                  5 + 5 alternating rounds of 20 s
#   DUR=10 ROUNDS=3 bench/import_load.sh  a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-20}
ROUNDS=${ROUNDS:-5}
MIB=${MIB:-10}
source bench/lib.sh
need_nginx_and_wrk
cargo build --release --locked --bin iop
IOP=$PWD/target/release/iop
SUT=0; LOAD=1
[ "$(nproc)" -ge 2 ] || LOAD=0
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$W"; }
trap cleanup EXIT
UP=18920 IOPC=18921 IOPG=18922
BODY='{"ci":"1234567","nombres":"JUANA","primer_apellido":"PEREZ","vigente":true,"aviso":"ficticio"}'
mkdir -p "$W/up"
cat > "$W/up/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $W/up/nginx.pid;
error_log $W/up/error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $W/up; proxy_temp_path $W/up; fastcgi_temp_path $W/up; uwsgi_temp_path $W/up; scgi_temp_path $W/up;
  server { listen 127.0.0.1:$UP; location / { default_type application/json; return 200 '$BODY'; } } }
CONF
taskset -c $LOAD nginx -c "$W/up/nginx.conf" & PIDS+=($!)

mkdir -p "$W/iop"
printf 'registro_llamadas = "os"\n' > "$W/iop/iop.toml"
taskset -c $SUT "$IOP" serve --demo --config "$W/iop/iop.toml" --data-dir "$W/iop/data" --log warn \
  --control-addr 127.0.0.1:$IOPC --gateway-addr 127.0.0.1:$IOPG > "$W/iop/out" 2> "$W/iop/err" &
IOP_PID=$!; PIDS+=($IOP_PID)
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$IOPC/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
read -r KEY BASE < <(taskset -c $LOAD python3 bench/iop_setup.py "http://127.0.0.1:$IOPC" "http://127.0.0.1:$UP")
URL="http://127.0.0.1:$IOPG${BASE}personas/1234567"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "apikey: $KEY" "$URL")" = 200 ] || { echo "iop does not answer"; cat "$W/iop/err"; exit 1; }

# The description: generated, MIB MiB of OpenAPI 3 JSON, uploaded as the Líder de ADAS to
# another demo service (the benchmarked route keeps its operations).
taskset -c $LOAD python3 - "$W" "$MIB" "http://127.0.0.1:$IOPC" <<'PY'
import json, sys, urllib.request
w, mib, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def call(method, path, token=None, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("content-type", "application/json")
    if token: req.add_header("authorization", "Bearer " + token)
    return json.loads(urllib.request.urlopen(req).read())
token = call("POST", "/api/v1/auth/login", body={"usuario": "lider", "contrasena": "demo-iop-2026"})["token"]
services = call("GET", "/api/v1/servicios?limite=200", token)
services = services["resultados"] if isinstance(services, dict) else services
other = next(s for s in services if not s["codigo"].startswith("persona"))
paths, i = {}, 0
size = 0
while size < mib << 20:
    op = {"get": {"operationId": f"op{i}", "summary": "s" * 200, "responses": {"200": {"description": "ok",
          "content": {"application/json": {"example": {"i": i, "texto": "x" * 800}}}}}}}
    paths[f"/recursos/grupo{i}/{{id}}"] = op
    size += len(json.dumps(op)) + 40
    i += 1
doc = json.dumps({"openapi": "3.0.3", "info": {"title": "grande", "version": "1"}, "paths": paths})
open(f"{w}/body.json", "w").write(json.dumps({"documento": doc}))
open(f"{w}/target", "w").write(f"{token} {other['id']} {len(doc)} {i}\n")
PY
read -r TOKEN OTHER DOC_BYTES DOC_OPS < "$W/target"

# Uploads the description again and again until stopped; one line per upload (status, seconds).
uploader() {
  while :; do
    taskset -c $LOAD curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X PUT \
      -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
      --data-binary @"$W/body.json" "http://127.0.0.1:$IOPC/api/v1/servicios/$OTHER/descripcion" >> "$W/uploads"
    sleep "${UPLOAD_GAP:-0}" # seconds between uploads (experiments); 0: back to back
  done
}
run() { # -> "rps p99_ms"
  taskset -c $LOAD wrk -t1 -c64 -d"${DUR}s" --latency -H "apikey: $KEY" "$URL" > "$W/wrk.out" 2>&1
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$W/wrk.out")
  p99=$(awk '$1=="99%" {print $2}' "$W/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$W/wrk.out")
  [ -z "$non2xx" ] || { echo "$non2xx non-2xx answers"; cat "$W/wrk.out"; exit 1; }
  echo "$rps $(ms "$p99")"
}

# CPU of each iop thread (by name) during one upload with the gateway idle: where an import's
# work runs, and at which priority (the importer at nice 10; SQLite's thread and the rebuild at 0).
thread_cpu() { for t in /proc/$IOP_PID/task/*; do echo "$(tr ' ' '_' < "$t/comm") $(awk '{print $14+$15}' "$t/stat")"; done | awk '{c[$1]+=$2} END {for (k in c) print k, c[k]}' | sort; }
upload_once() {
  taskset -c $LOAD curl -s -o /dev/null -w '%{http_code} %{time_total}' -X PUT \
    -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    --data-binary @"$W/body.json" "http://127.0.0.1:$IOPC/api/v1/servicios/$OTHER/descripcion"
}
settle "$IOP_PID"
thread_cpu > "$W/cpu.before"
# PERF_IDLE=1: a CPU profile of iop during that idle upload (by thread, then by function) in
# ${PERF_IDLE_OUT:-/tmp/import-idle-perf.txt}; IDLE_ONLY=1 stops after it.
if [ "${PERF_IDLE:-0}" = 1 ]; then
  perf record -F 4999 -g -p "$IOP_PID" -o "$W/perf-idle.data" -- sleep 4 >/dev/null 2>&1 & PERFP=$!
  sleep 0.3
fi
echo "one upload, gateway idle: $(upload_once)"
sleep 2
thread_cpu > "$W/cpu.after"
if [ "${PERF_IDLE:-0}" = 1 ]; then
  wait $PERFP || true
  { perf report -i "$W/perf-idle.data" --no-children --sort comm --stdio
    perf report -i "$W/perf-idle.data" --no-children --sort comm,sym --percent-limit 0.3 --stdio -g none; } > "${PERF_IDLE_OUT:-/tmp/import-idle-perf.txt}" 2>/dev/null
  cp "$W/perf-idle.data" "${PERF_IDLE_OUT:-/tmp/import-idle-perf.txt}.data"
fi
echo "CPU per thread for that upload (ms; ticks of 10 ms):"
awk 'NR==FNR {b[$1]=$2; next} {d=($2-b[$1])*10; if (d>0) printf "  %-18s %6d ms\n", $1, d}' "$W/cpu.before" "$W/cpu.after"

[ "${IDLE_ONLY:-0}" = 1 ] && exit 0
# IMPORTER_CORE=N (an experiment, not the issue's measurement): the importer's thread moved to
# core N once it exists, to tell its own running apart from the rest of an upload's cost.
if [ -n "${IMPORTER_CORE:-}" ]; then
  for t in /proc/$IOP_PID/task/*; do
    [ "$(cat "$t/comm")" = iop-importador ] && taskset -p -c "$IMPORTER_CORE" "$(basename "$t")" >/dev/null && echo "importer thread $(basename "$t") on core $IMPORTER_CORE"
  done
fi
# IMPORTER_NICE=N (an experiment): the importer's thread moved to the normal class at nice N.
if [ -n "${IMPORTER_NICE:-}" ]; then
  for t in /proc/$IOP_PID/task/*; do
    [ "$(cat "$t/comm")" = iop-importador ] && chrt -o -p 0 "$(basename "$t")" && renice -n "$IMPORTER_NICE" -p "$(basename "$t")" >/dev/null && echo "importer thread $(basename "$t") at nice $IMPORTER_NICE"
  done
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  rounds: $ROUNDS + $ROUNDS x ${DUR}s, wrk -t1 -c64, iop on core $SUT"
echo "description: $DOC_BYTES bytes, $DOC_OPS operations"
A_RPS=() A_P99=() B_RPS=() B_P99=()
: > "$W/uploads"
for r in $(seq 1 "$ROUNDS"); do
  for mode in a b; do
    if [ $((r % 2)) = 0 ]; then mode=$([ "$mode" = a ] && echo b || echo a); fi
    if [ "$mode" = b ]; then
      before=$(wc -l < "$W/uploads")
      if [ -n "${HOG:-}" ]; then
        # HOG="command" (experiments, not the issue's measurement): instead of uploading, this
        # command runs on iop's core in the idle class for the round, to tell what any idle-class
        # neighbour costs the gateway apart from what iop's own import does.
        taskset -c $SUT chrt -i 0 env W="$W" sh -c "exec $HOG" & UPL=$!
      else
        # The first upload starts once wrk has: every upload counted ran under the load.
        (sleep 0.5; uploader) & UPL=$!
      fi
      # PERF=1: a CPU profile of iop during the first round with uploads (by thread, then by
      # function) in ${PERF_OUT:-/tmp/import-perf.txt}.
      if [ "${PERF:-0}" = 1 ] && [ "$r" = 1 ]; then
        (perf record -F 999 -g -p "$IOP_PID" -o "$W/perf.data" -- sleep $((DUR - 2)) >/dev/null 2>&1;
         { perf report -i "$W/perf.data" --no-children --sort comm --stdio; perf report -i "$W/perf.data" --no-children --sort comm,sym --percent-limit 0.05 --stdio -g none; } > "${PERF_OUT:-/tmp/import-perf.txt}" 2>/dev/null) &
      fi
      read -r rps p99 < <(run)
      kill $UPL 2>/dev/null || true; wait $UPL 2>/dev/null || true
      pkill -f "servicios/$OTHER/descripcion" 2>/dev/null || true
      done_now=$(( $(wc -l < "$W/uploads") - before ))
      B_RPS+=("$rps"); B_P99+=("$p99")
      echo "  round $r with uploads:    $rps req/s, p99 $p99 ms ($done_now uploads finished)"
    else
      read -r rps p99 < <(run)
      A_RPS+=("$rps"); A_P99+=("$p99")
      echo "  round $r without uploads: $rps req/s, p99 $p99 ms"
    fi
    settle "$IOP_PID"
  done
done
echo
echo "uploads: $(awk '{print $1}' "$W/uploads" | sort | uniq -c | xargs)"
echo "upload seconds (under full load): $(awk '$1==200 {print $2}' "$W/uploads" | sort -n | xargs)"
printf 'without uploads: %.0f req/s, p99 %.3f ms\n' "$(median "${A_RPS[@]}")" "$(median "${A_P99[@]}")"
printf 'with uploads:    %.0f req/s, p99 %.3f ms\n' "$(median "${B_RPS[@]}")" "$(median "${B_P99[@]}")"
echo "p99 with uploads / p99 without: $(python3 -c "import sys; print(round(float(sys.argv[1])/float(sys.argv[2]),3))" "$(median "${B_P99[@]}")" "$(median "${A_P99[@]}")")"
# An idle upload, for scale: how long the import itself takes with the core free.
settle "$IOP_PID"
echo "upload seconds (gateway idle): $(taskset -c $LOAD curl -s -o /dev/null -w '%{http_code} %{time_total}' -X PUT \
  -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  --data-binary @"$W/body.json" "http://127.0.0.1:$IOPC/api/v1/servicios/$OTHER/descripcion")"
