#!/usr/bin/env bash
# Gateway benchmark: iop against nginx and a minimal hyper proxy doing the same job, in one run,
# on loopback.
#
#   bench/gateway.sh            full run (5 alternating rounds of 10 s each, then the scale part)
#   DUR=3 ROUNDS=3 SCALE=0 bench/gateway.sh    a quicker look
#   IOP_BASELINE=/path/to/old/iop bench/gateway.sh   A/B: (e) is that build instead (chain on),
#                                and the run ends with "iop/baseline rps ratio"
#
# (a) the upstream alone, (b) nginx as a plain reverse proxy, (c) nginx as an API gateway
# (API-key map, per-path allow map, limit_req zone, access log), (m) bench/minimal-proxy, the
# ceiling: a single-threaded hyper server and client with an API-key map, a prefix check, a token
# bucket and one line per call written with group commit before the response, (d) iop with API-key auth, grant
# check, rate limit and call records on, and (e) the same iop with the call records' hash chain
# off (`cadena_llamadas = false`, a benchmark-only setting) to measure what the audit chain
# costs. The server under test runs alone on core 0 (taskset;
# nginx with one worker); wrk (-t1 -c64) and the upstream share core 1. Each figure is the median
# of the rounds; configurations alternate within each round because single runs drift.
# The scale part loads 10,000 services and 100,000 consumers and measures iop again, the time
# from a revocation to the gateway's refusal, and resident memory.
set -euo pipefail
# The script's own IOP_* settings are not iop's: iop reads every IOP_* variable as a file key.
export -n IOP_BASELINE IOP_EXTRA 2>/dev/null || true
cd "$(dirname "$0")/.."
DUR=${DUR:-10}
ROUNDS=${ROUNDS:-5}
SCALE=${SCALE:-1}
SERVICES=${SERVICES:-10000}
CONSUMERS=${CONSUMERS:-100000}

source bench/lib.sh
need_nginx_and_wrk
cargo build --release --locked --bin iop
IOP=$PWD/target/release/iop
cargo build --release --locked --manifest-path bench/minimal-proxy/Cargo.toml --target-dir target/minimal-proxy
MINIMAL=$PWD/target/minimal-proxy/release/minimal-proxy

SUT=0; LOAD=1
[ "$(nproc)" -ge 2 ] || LOAD=0
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$W"; }
trap cleanup EXIT
UP=18900 PLAIN=18901 NGW=18902 IOPC=18903 IOPG=18904 IOPC2=18905 IOPG2=18906 MIN=18907
BODY='{"ci":"1234567","nombres":"JUANA","primer_apellido":"PEREZ","segundo_apellido":"DEMO","fecha_nacimiento":"1990-01-01","vigente":true,"aviso":"ficticio"}'

nginx_conf() { # name port body-of-http-block
  mkdir -p "$W/$1"
  cat > "$W/$1/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $W/$1/nginx.pid;
error_log $W/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $W/$1; proxy_temp_path $W/$1; fastcgi_temp_path $W/$1; uwsgi_temp_path $W/$1; scgi_temp_path $W/$1;
  keepalive_requests 1000000;
  $3
}
CONF
}

nginx_conf up $UP "server { listen 127.0.0.1:$UP; location / { default_type application/json; return 200 '$BODY'; } }"
nginx_conf plain $PLAIN "upstream up { server 127.0.0.1:$UP; keepalive 64; }
  server { listen 127.0.0.1:$PLAIN; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"

taskset -c $LOAD nginx -c "$W/up/nginx.conf" & PIDS+=($!)
taskset -c $SUT nginx -c "$W/plain/nginx.conf" & PIDS+=($!)

# iop: demo mode on a fresh data dir, call records in "os" mode (the default).
mkdir -p "$W/iop"
# IOP_EXTRA: more configuration lines for both iop instances (experiments).
printf 'registro_llamadas = "os"\n%b\n' "${IOP_EXTRA:-}" > "$W/iop/iop.toml"
start_iop() {
  taskset -c $SUT "$IOP" serve --demo --config "$W/iop/iop.toml" --data-dir "$W/iop/data" --log warn \
    --control-addr 127.0.0.1:$IOPC --gateway-addr 127.0.0.1:$IOPG > "$W/iop/out" 2> "$W/iop/err" &
  IOP_PID=$!; PIDS+=($IOP_PID)
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$IOPC/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "iop did not start"; cat "$W/iop/err"; exit 1
}
start_iop
read -r KEY BASE < <(python3 bench/iop_setup.py "http://127.0.0.1:$IOPC" "http://127.0.0.1:$UP")
# (e) the same, with the call records' hash chain off; or, with IOP_BASELINE, another build of iop
# (say the previous main) with the same settings, so that "no regression" is a same-run ratio.
mkdir -p "$W/iop2"
if [ -n "${IOP_BASELINE:-}" ]; then
  B="iop-base"; BIN2=$IOP_BASELINE
  printf 'registro_llamadas = "os"\n%b\n' "${IOP_EXTRA:-}" > "$W/iop2/iop.toml"
else
  B="iop-sin-cadena"; BIN2=$IOP
  printf 'registro_llamadas = "os"\ncadena_llamadas = false\n%b\n' "${IOP_EXTRA:-}" > "$W/iop2/iop.toml"
fi
taskset -c $SUT "$BIN2" serve --demo --config "$W/iop2/iop.toml" --data-dir "$W/iop2/data" --log warn \
  --control-addr 127.0.0.1:$IOPC2 --gateway-addr 127.0.0.1:$IOPG2 > "$W/iop2/out" 2> "$W/iop2/err" &
IOP2_PID=$!; PIDS+=($IOP2_PID)
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$IOPC2/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
# Each instance's own base path (a baseline build may publish the demo service elsewhere).
read -r KEY2 BASE2 < <(python3 bench/iop_setup.py "http://127.0.0.1:$IOPC2" "http://127.0.0.1:$UP")

# nginx as an API gateway: the same key, the same path rule, a (non-binding) rate limit, a log.
nginx_conf gw $NGW "upstream up { server 127.0.0.1:$UP; keepalive 64; }
  map_hash_bucket_size 256;
  map \$http_apikey \$consumer { default \"\"; \"$KEY\" \"tramites-en-linea\"; }
  map \"\$consumer:\$uri\" \$allowed { default 0; \"~^tramites-en-linea:$BASE\" 1; }
  limit_req_zone \$consumer zone=consumers:10m rate=1000000r/s;
  log_format calls '\$msec \$request_id \$consumer \$request_method \$uri \$status \$request_time \$bytes_sent \$upstream_status';
  server { listen 127.0.0.1:$NGW;
    location $BASE {
      access_log $W/gw/calls.log calls;
      if (\$consumer = \"\") { return 401; }
      if (\$allowed = 0) { return 403; }
      limit_req zone=consumers burst=1000000 nodelay;
      proxy_set_header apikey \"\"; proxy_set_header X-Consumer-Username \$consumer; proxy_set_header X-Request-Id \$request_id;
      proxy_http_version 1.1; proxy_set_header Connection \"\";
      proxy_pass http://up/;
    } }"
taskset -c $SUT nginx -c "$W/gw/nginx.conf" & PIDS+=($!)
mkdir -p "$W/min"
taskset -c $SUT "$MINIMAL" 127.0.0.1:$MIN "http://127.0.0.1:$UP" "$BASE" "$KEY" "$W/min/calls.log" & MIN_PID=$!; PIDS+=($MIN_PID)
sleep 1

PATH_="${BASE}personas/1234567"
declare -A URL=([upstream]="http://127.0.0.1:$UP$PATH_" [nginx-plain]="http://127.0.0.1:$PLAIN$PATH_" [nginx-gateway]="http://127.0.0.1:$NGW$PATH_" [minimal-proxy]="http://127.0.0.1:$MIN$PATH_" [iop]="http://127.0.0.1:$IOPG$PATH_" [$B]="http://127.0.0.1:$IOPG2${BASE2}personas/1234567")
declare -A KEYS=([upstream]="$KEY" [nginx-plain]="$KEY" [nginx-gateway]="$KEY" [minimal-proxy]="$KEY" [iop]="$KEY" [$B]="$KEY2")
for n in "${!URL[@]}"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "apikey: ${KEYS[$n]}" "${URL[$n]}")
  [ "$code" = 200 ] || { echo "$n answers $code"; cat "$W/iop/err"; exit 1; }
done

run() { # name url -> "rps p50_ms p99_ms requests"
  taskset -c $LOAD wrk -t1 -c64 -d"${DUR}s" --latency -H "apikey: $KEY" "$2" > "$W/wrk.out" 2>&1
  local rps p50 p99 non2xx reqs
  rps=$(awk '/Requests\/sec/ {print $2}' "$W/wrk.out")
  reqs=$(awk '/requests in/ {print $1}' "$W/wrk.out")
  p50=$(awk '$1=="50%" {print $2}' "$W/wrk.out")
  p99=$(awk '$1=="99%" {print $2}' "$W/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$W/wrk.out")
  [ -z "$non2xx" ] || { echo "$1: $non2xx non-2xx answers"; cat "$W/wrk.out"; exit 1; }
  echo "$rps $(ms "$p50") $(ms "$p99") $reqs"
}
# CPU time (user + system, every thread) of a process, in clock ticks.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)

ORDER=(upstream nginx-plain nginx-gateway minimal-proxy iop "$B")
# CONFIGS="iop iop-base": measure only these (say, many short A/B rounds); the order reverses
# every other round.
[ -z "${CONFIGS:-}" ] || read -r -a ORDER <<< "$CONFIGS"
declare -A RPS P50 P99 CPU
# The processes whose CPU per call is measured (for iop: until it is idle again after the run,
# so that the import of the run's records counts).
declare -A PIDOF=([iop]=$IOP_PID [$B]=$IOP2_PID [minimal-proxy]=$MIN_PID)
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  rounds: $ROUNDS x ${DUR}s  wrk -t1 -c64, server under test on core $SUT"
for r in $(seq 1 "$ROUNDS"); do
  # The two iop instances swap places every round: whichever runs second measured a few percent
  # lower in every round of an earlier run, more than the chain's own cost.
  ROUND_ORDER=("${ORDER[@]}")
  if [ $((r % 2)) = 0 ]; then
    if [ -n "${CONFIGS:-}" ]; then
      ROUND_ORDER=(); for ((i=${#ORDER[@]}-1; i>=0; i--)); do ROUND_ORDER+=("${ORDER[$i]}"); done
    else
      ROUND_ORDER=(upstream nginx-plain nginx-gateway minimal-proxy "$B" iop)
    fi
  fi
  for n in "${ROUND_ORDER[@]}"; do
    # PERF=1: a CPU profile of iop during its first run (perf report in $PERF_OUT).
    if [ "${PERF:-0}" = 1 ] && [ "$n" = iop ] && [ "$r" = 1 ]; then
      (sleep 1; perf stat -e raw_syscalls:sys_enter,context-switches -p "$IOP_PID" -o "$W/perf.stat" -- sleep 3 >/dev/null 2>&1;
       perf record -F 999 -g -p "$IOP_PID" -o "$W/perf.data" -- sleep $((DUR - 6)) >/dev/null 2>&1; cat "$W/perf.stat" > "${PERF_OUT:-/tmp/iop-perf.txt}.stat";
       { perf report -i "$W/perf.data" --no-children --sort comm,dso --stdio; perf report -i "$W/perf.data" --no-children --percent-limit 0.7 --stdio; } > "${PERF_OUT:-/tmp/iop-perf.txt}" 2>/dev/null) &
    fi
    pid=${PIDOF[$n]:-}; [ -z "$pid" ] || t0=$(cpu_ticks "$pid")
    read -r rps p50 p99 reqs < <(KEY=${KEYS[$n]} run "$n" "${URL[$n]}")
    case $n in iop) settle "$IOP_PID" ;; "$B") settle "$IOP2_PID" ;; minimal-proxy) sleep 0.5 ;; esac
    cpu=""
    if [ -n "$pid" ]; then
      cpu=$(python3 -c "print(round(($(cpu_ticks "$pid")-$t0)*1e6/$CLK_TCK/$reqs, 2))")
      CPU[$n]="${CPU[$n]:-} $cpu"; cpu=", CPU $cpu µs/call"
    fi
    RPS[$n]="${RPS[$n]:-} $rps"; P50[$n]="${P50[$n]:-} $p50"; P99[$n]="${P99[$n]:-} $p99"
    echo "  round $r $n: $rps req/s, p50 $p50 ms, p99 $p99 ms$cpu"
  done
done
echo
printf '%-15s %12s %10s %10s\n' config "req/s" "p50 ms" "p99 ms"
declare -A M
for n in "${ORDER[@]}"; do
  M[$n]=$(median ${RPS[$n]})
  printf '%-15s %12.0f %10.3f %10.3f\n' "$n" "${M[$n]}" "$(median ${P50[$n]})" "$(median ${P99[$n]})"
done
RECORDS=$(cat "$W"/iop/data/llamadas/*.jsonl | wc -l)
echo "iop call records written: $RECORDS"
# The chain verifies once the records are imported (the second instance's do not: no chain).
sleep 2
"$IOP" audit verify --data-dir "$W/iop/data" | head -1
if [ -n "${IOP_BASELINE:-}" ]; then
  echo "iop/baseline rps ratio: $(python3 -c "print(f'{${M[iop]}/${M[$B]}:.3f}')")"
  # Each round's own ratio (the two ran back to back), then their median: steadier on a noisy day.
  echo "iop/baseline per-round ratios: $(python3 -c "a=[float(x) for x in '${RPS[iop]}'.split()]; b=[float(x) for x in '${RPS[$B]}'.split()]; import statistics as s; r=[x/y for x,y in zip(a,b)]; print(' '.join(f'{x:.2f}' for x in r), f'median {s.median(r):.3f}')")"
  echo "iop/baseline CPU per call ratio: $(python3 -c "a, b = $(median ${CPU[iop]}), $(median ${CPU[$B]}); print(f'{a/b:.3f} ({a:.1f} / {b:.1f} µs)')")"
  echo "iop/baseline p99 ratio: $(python3 -c "import statistics as s; print(f'{s.median([float(x) for x in \"${P99[iop]}\".split()])/s.median([float(x) for x in \"${P99[$B]}\".split()]):.3f}')")"
elif [ -n "${M[iop-sin-cadena]:-}" ]; then
  echo "iop chained/unchained rps ratio: $(python3 -c "print(f'{${M[iop]}/${M[iop-sin-cadena]}:.3f}')")"
fi

# SUSTAIN=120: iop at full rate for that long; then how far the store is behind the gateway
# (in seconds of the run's traffic), how long it takes to catch up and what the import costs per
# record, and whether resident memory stayed flat (±10%) over the last 60 s.
if [ "${SUSTAIN:-0}" -gt 0 ]; then
  echo
  echo "sustained: iop for ${SUSTAIN} s at full rate"
  settle "$IOP_PID"
  # Each second: RSS, its anonymous and file-backed parts (kB), and iop's thread count.
  ( for _ in $(seq 1 "$SUSTAIN"); do sleep 1; [ -e "/proc/$IOP_PID/status" ] || break; echo "$(awk '$1=="VmRSS:" {r=$2} $1=="RssAnon:" {a=$2} $1=="RssFile:" {f=$2} END {print r, a, f}' "/proc/$IOP_PID/status") $(ls "/proc/$IOP_PID/task" | wc -l)"; done > "$W/rss.txt" ) &
  taskset -c $LOAD wrk -t1 -c64 -d"${SUSTAIN}s" --latency -H "apikey: $KEY" "${URL[iop]}" > "$W/wrk-s.out" 2>&1
  t0=$(cpu_ticks "$IOP_PID")
  python3 - "$W/iop/data" "$W/wrk-s.out" "$SUSTAIN" "$W/rss.txt" "$IOP_PID" "$CLK_TCK" "$t0" <<'PY'
import glob, json, os, re, sqlite3, sys, time
data, wrk, dur, rss, pid, tck, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
def gw_seq():
    seg = sorted(glob.glob(os.path.join(data, "llamadas", "llamadas-n1-*.jsonl")))[-1]
    with open(seg, "rb") as f:
        f.seek(max(0, os.path.getsize(seg) - 65536))
        last = f.read().rstrip(b"\n").split(b"\n")[-1]
    return json.loads(last)["seq"]
def store_seq():
    db = sqlite3.connect(f"file:{os.path.join(data, 'iop.sqlite3')}?mode=ro", uri=True)
    try:
        return db.execute("SELECT COALESCE(MAX(seq), 0) FROM call_log WHERE node = (SELECT id FROM call_terms WHERE term = 'n1')").fetchone()[0]
    finally:
        db.close()
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
text = open(wrk).read()
reqs = int(re.search(r"(\d+) requests in", text).group(1))
g, st = gw_seq(), store_seq()
rate = reqs / dur
p99 = re.search(r"99%\s+(\S+)", text).group(1)
print(f"  {reqs} calls ({rate:.0f}/s), p99 {p99}")
print(f"  store behind the gateway at the end: {g - st} records = {(g - st) / rate:.1f} s of traffic (target <= 5 s)")
t = time.time()
while store_seq() < g and time.time() - t < 600:
    time.sleep(0.2)
took = time.time() - t
print(f"  caught up in {took:.1f} s; the import's CPU {(cpu() - t0) * 1e6 / tck / max(1, g - st):.1f} µs per record")
samples = [l.split() for l in open(rss).read().splitlines() if l.strip()]
v = [int(s[0]) for s in samples][-60:]
mean = sum(v) / len(v)
print(f"  RSS over the last {len(v)} s: {min(v) // 1024}-{max(v) // 1024} MB, spread {(max(v) - min(v)) / mean * 100:.1f}% of the mean (flat: <= 20%, i.e. ±10%)")
for label, col, div in (("RSS every 10 s (MB)", 0, 1024), ("of which anonymous (MB)", 1, 1024),
                        ("of which file-backed (MB)", 2, 1024), ("threads every 10 s", 3, 1)):
    print(f"  {label}: " + " ".join(str(int(s[col]) // div) for s in samples[9::10]))
PY
fi

if [ "$SCALE" = 1 ]; then
  echo
  echo "scale: loading $SERVICES services and $CONSUMERS consumers"
  kill "$IOP_PID"; wait "$IOP_PID" 2>/dev/null || true
  # The first part's records would be imported during the measurement: keep them out of it.
  mv "$W/iop/data/llamadas" "$W/llamadas-primera-parte"
  read -r SKEY SCRED < <(python3 bench/scale_load.py "$W/iop/data" "http://127.0.0.1:$UP" "$SERVICES" "$CONSUMERS")
  t0=$(date +%s.%N); start_iop; t1=$(date +%s.%N)
  echo "  start-up with the load: $(python3 -c "print(round($t1-$t0,2))") s, RSS then $(( $(awk '/VmRSS/ {print $2}' /proc/$IOP_PID/status) / 1024 )) MB"
  for _ in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' -H "apikey: $SKEY" "${URL[iop]}")" = 200 ] && break; sleep 0.1; done
  SR=(); SP99=()
  for r in $(seq 1 "$ROUNDS"); do
    # A snapshot rebuild under load in every round (the peak memory target includes one).
    ( sleep 2; python3 bench/touch.py "http://127.0.0.1:$IOPC" ) & TOUCH=$!
    read -r rps p50 p99 _ < <(KEY=$SKEY run iop-scale "${URL[iop]}")
    wait "$TOUCH"
    SR+=("$rps"); SP99+=("$p99")
    echo "  round $r iop (loaded): $rps req/s, p99 $p99 ms"
    settle "$IOP_PID"
  done
  SM=$(median "${SR[@]}")
  RSS=$(awk '/VmRSS/ {print $2}' /proc/$IOP_PID/status)
  REV=()
  for i in 1 2 3; do
    read -r k c < <(python3 - "$W/iop/data" "$i" <<'PY'
import sqlite3, sys, os, hmac, hashlib
# a fresh key for one of the loaded systems (issued the same way the platform does)
d=sys.argv[1]; db=sqlite3.connect(os.path.join(d,"iop.sqlite3"))
master=bytes.fromhex(open(os.path.join(d,"clave-maestra")).read().strip())
kk=hmac.new(master,b"iop/v1/apikey",hashlib.sha256).digest()
sid,=db.execute("SELECT id FROM systems WHERE codigo=?",(f"sis-{int(sys.argv[2]):06d}",)).fetchone()
key="iop_k_"+os.urandom(32).hex(); cid=os.urandom(16).hex(); cid=f"{cid[:8]}-{cid[8:12]}-4{cid[13:16]}-8{cid[17:20]}-{cid[20:32]}"
u,=db.execute("SELECT id FROM users WHERE login='lider'").fetchone()
db.execute("INSERT INTO credentials (id, system_id, kind, key_id, hint, created_by, created_at) VALUES (?,?,?,?,?,?,0)",(cid,sid,"apikey",hmac.new(kk,key.encode(),hashlib.sha256).hexdigest(),key[:14],u))
db.commit(); print(key,cid)
PY
)
    # Written behind the control plane's back: any change through the API makes it rebuild.
    python3 bench/touch.py "http://127.0.0.1:$IOPC"
    for _ in $(seq 1 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' -H "apikey: $k" "${URL[iop]}")" = 200 ] && break; sleep 0.1; done
    REV+=("$(python3 bench/revoke_latency.py "http://127.0.0.1:$IOPC" "http://127.0.0.1:$IOPG" "$PATH_" "$k" "$c")")
  done
  echo "  revocation to refusal (ms): ${REV[*]}"
  HWM=$(awk '/VmHWM/ {print $2}' /proc/$IOP_PID/status)
  printf '%-15s %12.0f req/s, p99 %s ms, RSS %d MB, peak RSS (VmHWM) %d MB, revocation %s ms (median)\n' "iop-loaded" "$SM" "$(median "${SP99[@]}")" "$((RSS / 1024))" "$((HWM / 1024))" "$(median "${REV[@]}")"
  echo "iop-loaded/iop rps ratio: $(python3 -c "print(f'{$SM/${M[iop]}:.3f}')")"
fi
echo
p99() { median ${P99[$1]}; }
[ -z "${CPU[minimal-proxy]:-}" ] || echo "CPU per call (µs, user+system ÷ requests, iop's import included): iop $(median ${CPU[iop]}), minimal-proxy $(median ${CPU[minimal-proxy]}), ratio $(python3 -c "print(f'{$(median ${CPU[iop]})/$(median ${CPU[minimal-proxy]}):.2f}')")"
[ -z "${M[nginx-plain]:-}" ] || echo "iop/nginx-plain rps ratio: $(python3 -c "print(f'{${M[iop]}/${M[nginx-plain]}:.2f}')")"
[ -z "${M[nginx-gateway]:-}" ] || echo "iop/nginx-gateway p99 ratio: $(python3 -c "print(f'{$(p99 iop)/$(p99 nginx-gateway):.2f}')")"
[ -z "${M[minimal-proxy]:-}" ] || echo "minimal-proxy/nginx-gateway rps ratio: $(python3 -c "print(f'{${M[minimal-proxy]}/${M[nginx-gateway]}:.2f}')")"
[ -z "${M[minimal-proxy]:-}" ] || echo "iop/minimal-proxy rps ratio: $(python3 -c "print(f'{${M[iop]}/${M[minimal-proxy]}:.2f}')")"
[ -z "${M[nginx-gateway]:-}" ] || echo "iop/nginx-gateway rps ratio: $(python3 -c "print(f'{${M[iop]}/${M[nginx-gateway]}:.2f}')")"
