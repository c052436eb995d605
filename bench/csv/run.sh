#!/usr/bin/env bash
# CSV loading: our CSVReader against pandas.read_csv on the same 1.1M-row file, alternated.
#   bench/csv/run.sh [runs]     (needs bench/.venv from bench/setup.sh and the data from make_data.py)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
runs=${1:-5}
bench/setup.sh >/dev/null
swift build -c release --product CSVBench >/dev/null
bin="$(swift build -c release --show-bin-path)/CSVBench"
ours=(); theirs=()
for i in $(seq 1 "$runs"); do
  o=$("$bin" bench/out/cls_1.1m.csv --repeats 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  p=$(bench/.venv/bin/python bench/csv/pandas_read.py bench/out/cls_1.1m.csv --repeats 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  echo "run $i: trainyard $o s, pandas $p s"
  ours+=("$o"); theirs+=("$p")
done
mo=$(median "${ours[@]}"); mp=$(median "${theirs[@]}")
echo "median: trainyard $mo s, pandas $mp s, speed ratio $(awk -v o="$mo" -v p="$mp" 'BEGIN {printf "%.2f", p / o}') (target >= 1.0)"
