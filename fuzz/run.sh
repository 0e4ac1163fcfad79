#!/usr/bin/env bash
# Runs every fuzz target in turn with AFL++ (cargo-afl), then minimises its corpus back into
# corpus/<target>, and prints each target's figures. One target at a time, in the background:
#   cargo install cargo-afl --locked && fuzz/run.sh            (15 min or 10 M executions each)
#   SECONDS_EACH=60 fuzz/run.sh ruta credenciales               (a quick look at some targets)
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${SECONDS_EACH:-900}
EXECS_EACH=${EXECS_EACH:-10000000}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(ruta credenciales segmentos descripcion multipart configuracion firma)
cargo afl build --release
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=${AFL_NO_AFFINITY:-}
mkdir -p out
for t in "${TARGETS[@]}"; do
  rm -rf "out/$t"
  cargo afl fuzz -i "corpus/$t" -o "out/$t" -V "$SECONDS_EACH" -E "$EXECS_EACH" -t 2000 -- "target/release/$t" > "out/$t.log" 2>&1 || true
  s="out/$t/default/fuzzer_stats"
  execs=$(awk -F: '/^execs_done/ {gsub(/ /,"",$2); print $2}' "$s")
  secs=$(( $(awk -F: '/^last_update/ {gsub(/ /,"",$2); print $2}' "$s") - $(awk -F: '/^start_time/ {gsub(/ /,"",$2); print $2}' "$s") ))
  crashes=$(awk -F: '/^saved_crashes/ {gsub(/ /,"",$2); print $2}' "$s")
  hangs=$(awk -F: '/^saved_hangs/ {gsub(/ /,"",$2); print $2}' "$s")
  edges=$(awk -F: '/^edges_found/ {gsub(/ /,"",$2); print $2}' "$s")
  rm -rf "out/$t.min"
  # The awk afl-cmin (AFL++'s Python one finds no tuples with these persistent-mode targets).
  CMIN=$(ls -d "$HOME"/.local/share/afl.rs/rustc-*/afl.rs-*/afl/bin 2>/dev/null | head -1)/afl-cmin.awk
  "$CMIN" -i "out/$t/default/queue" -o "out/$t.min" -t 2000 -- "target/release/$t" > "out/$t.cmin.log" 2>&1 || true
  if [ -n "$(ls -A "out/$t.min" 2>/dev/null)" ]; then
    # Crashing inputs (none expected) are kept beside the corpus to be replayed too.
    # Files named by their content's hash: portable names, and a replay failure names its input.
    rm -rf "corpus/$t" && mkdir -p "corpus/$t"
    for f in "out/$t.min"/*; do cp "$f" "corpus/$t/$(sha256sum "$f" | cut -c1-16)"; done
  fi
  for c in "out/$t/default/crashes"/id:*; do [ -e "$c" ] && cp "$c" "corpus/$t/crash-$(basename "$c" | tr ':,' '__')"; done
  echo "$t: $execs executions in $secs s, $crashes crashes, $hangs hangs, $edges edges, corpus $(ls "corpus/$t" | wc -l) files"
done
