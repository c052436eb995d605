#!/usr/bin/env bash
# libFuzzer over our decoders (Tests/Fuzz/Targets): the wire decoder, model files, every payload decoder, the
# proxy's framers and the CSV reader, each built with -sanitize=fuzzer,address into .build-fuzz.
#   bench/fuzz/run.sh [runs] [target…]
# Each target runs for `runs` executions (default 10^6), or at most FUZZ_MAX_SECONDS (default 900) seconds,
# from its corpus in Tests/Fuzz/corpus/<target> and its seeds (FuzzSeeds). Afterwards the corpus is minimized
# (-merge=1): it keeps the inputs that add coverage, and the reproducers of fixed crashes (regression-*), which
# `make test` replays (FuzzTests). A crash, a sanitizer
# report or a hang stops the script: the reproducer is in bench/out/fuzz/, and
#   TRAINYARD_FUZZ_TARGET=<target> .build-fuzz/release/TrainyardFuzz <reproducer>
# replays it. One line per target (executions, seconds, corpus size) is printed and kept in bench/out/fuzz/summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-1000000}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(wire model-file predict dataframe-split dataframe-records instances inputs v2 request-framer response-framer csv)
fi
max_seconds=${FUZZ_MAX_SECONDS:-900}
out=bench/out/fuzz
mkdir -p "$out"

TRAINYARD_FUZZ=1 swift build -c release --scratch-path .build-fuzz --product TrainyardFuzz
bin=$(swift build -c release --scratch-path .build-fuzz --show-bin-path)/TrainyardFuzz

for target in "${targets[@]}"; do
  corpus=Tests/Fuzz/corpus/$target
  mkdir -p "$corpus"
  seeds=$(mktemp -d)
  TRAINYARD_FUZZ_TARGET=$target "$bin" seeds "$seeds"
  # Model files hold a whole model's JSON; the other inputs are requests, frames and small files.
  max_len=8192
  [ "$target" = model-file ] && max_len=65536
  found=$(mktemp -d)
  log=$out/$target.log
  start=$(date +%s)
  # New inputs go to $found (the first directory); the corpus and the seeds are only read.
  if ! TRAINYARD_FUZZ_TARGET=$target "$bin" -runs="$runs" -max_total_time="$max_seconds" -max_len="$max_len" -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$out/$target-" "$found" "$corpus" "$seeds" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "$target: crashed; reproducer and log in $out/ ($(ls "$out" | grep -E "^$target-(crash|leak|timeout|oom)" | tr '\n' ' '))" >&2
    exit 1
  fi
  seconds=$(( $(date +%s) - start ))
  executions=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  # Minimize: the smallest set of inputs with the coverage of the corpus and what was found.
  merged=$(mktemp -d)
  TRAINYARD_FUZZ_TARGET=$target "$bin" -merge=1 -max_len="$max_len" "$merged" "$corpus" "$seeds" "$found" >"$out/$target.merge.log" 2>&1
  # Reproducers of fixed crashes stay whatever their coverage.
  find "$corpus" -maxdepth 1 -name 'regression-*' -exec cp {} "$merged"/ \;
  rm -rf "$corpus" "$found" "$seeds"
  mv "$merged" "$corpus"
  chmod 755 "$corpus"
  line="$target: $executions executions in ${seconds}s, 0 crashes, corpus $(ls "$corpus" | wc -l) files, $(cat "$corpus"/* | wc -c) bytes"
  echo "$line"
  echo "$(date -u +%Y-%m-%dT%H:%MZ) $line" >>"$out/summary"
done
