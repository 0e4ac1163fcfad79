# Helpers shared by the benchmark scripts (sourced from the repository's root).

# nginx (the upstream, and the baselines) and wrk, from Debian if missing.
need_nginx_and_wrk() {
  if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    apt-get update -q && apt-get install -y -q nginx wrk
  fi
}

ms() { # wrk latency (123.45us / 1.23ms / 1.02s) -> ms
  python3 -c "import sys,re; v=sys.argv[1]; m=re.match(r'([0-9.]+)(us|ms|s)',v); f={'us':0.001,'ms':1,'s':1000}[m.group(2)]; print(round(float(m.group(1))*f,3))" "$1"
}
# Waits until a process is idle again (an iop's call records imported), so that its background
# work does not run during the next measurement on the same core.
settle() { # pid
  local prev now
  prev=$(awk '{print $14+$15}' "/proc/$1/stat")
  for _ in $(seq 1 600); do
    sleep 0.5
    now=$(awk '{print $14+$15}' "/proc/$1/stat")
    [ $((now - prev)) -lt 5 ] && return
    prev=$now
  done
}
median() { python3 -c "import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
