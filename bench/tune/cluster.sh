#!/usr/bin/env bash
# A study on the cluster against the same study on one machine, in one run, on the first 200,000 rows of the ML core
# benchmark's set (bench/setup.sh; 28 features), 8 random-search trials of 100 rounds (space: eta, max_depth, subsample):
#   local  `trainyard tune --parallel 1`: the trials one after another, each on both cores (the anchor);
#   local  `trainyard tune --parallel 2`: two trials at a time, one core each;
#   cluster: coordinator + 2 workers with 1 core each on loopback, `submit tune --parallel 2`: each trial on a worker
#            of its own, which grows whole trees.
# Runs alternate; prints each, the median wall times from submission (or start) to the end, the ratios (target:
# cluster ≤ 1.1× local one after another), whether every trial's value is the same on both, and the shard bytes the
# study shipped against one copy of the rows per trial (target: one copy per worker).
#   bench/tune/cluster.sh [runs]      (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
runs=${1:-3}
bench/setup.sh >/dev/null
swift build -c release --product trainyard >/dev/null
ty="$(swift build -c release --show-bin-path)/trainyard"
out=bench/out/tune-cluster
mkdir -p "$out"
source bench/distributed/cluster.sh
rows="$(pwd)/$out/cls_200k.csv"
[ -f "$rows" ] || head -n 200001 "$data" > "$rows"
cat >"$out/space.yaml" <<'SPACE'
eta: {loguniform: [0.05, 0.3]}
max_depth: {int: [4, 8]}
subsample: {uniform: [0.6, 1.0]}
SPACE
study=(--data "$rows" --label label --space "$(pwd)/$out/space.yaml" --strategy random --trials 8 --n-trees 100 --seed 3 --json)
endpoint=tcp://127.0.0.1:5741

# values FILE → the trials' "id=value" lines, sorted (local `tune --json` or `tune show --json`).
values() {
  python3 -c '
import json, sys
trials = []
for line in open(sys.argv[1]):
    row = json.loads(line)
    if row.get("event") == "trial": trials.append((row["trial"], row["value"]))
    trials += [(t["trial"], t["value"]) for t in row.get("trials", [])]
print(" ".join(f"{t}={v!r}" for t, v in sorted(trials)))' "$1"
}

# local PARALLEL → wall seconds
local_run() {
  local start end
  start=$(date +%s.%N)
  "$ty" tune "${study[@]}" --parallel "$1" > "$out/local-$1.jsonl"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

# cluster → "wall_seconds shard_bytes"
cluster_run() {
  local state start end
  state=$(mktemp -d)
  start_cluster "$ty" "$endpoint" 2 bench-w "$state" --data-root "$(pwd)/$out"
  start=$(date +%s.%N)
  "$ty" submit tune --coordinator "$endpoint" "${study[@]}" --parallel 2 --wait > "$out/cluster-watch.jsonl"
  end=$(date +%s.%N)
  "$ty" tune show 1 --coordinator "$endpoint" --json > "$out/cluster.json"
  echo "$(echo "$end - $start" | bc) $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["study"]["shard_bytes"])' "$out/cluster.json")"
  cleanup
  rm -rf "$state"
}

local1=(); local2=(); cluster=(); same=yes; bytes=0
for run in $(seq 1 "$runs"); do
  l1=$(local_run 1); local1+=("$l1")
  read -r c b < <(cluster_run); cluster+=("$c"); bytes=$b
  l2=$(local_run 2); local2+=("$l2")
  [ "$(values "$out/local-1.jsonl")" = "$(values "$out/cluster.json")" ] || same=no
  printf 'run %d: local --parallel 1 %.2f s, cluster (2 workers) %.2f s, local --parallel 2 %.2f s\n' "$run" "$l1" "$c" "$l2"
done
# One copy of the rows as a shard: labels and 28 features, 4 bytes each, for the 80% that train.
shard=$(python3 -c 'import json,sys; t=[x for x in json.load(open(sys.argv[1]))["trials"] if x["shard_bytes"] > 0]; print(t[0]["shard_bytes"])' "$out/cluster.json")
m1=$(median "${local1[@]}"); m2=$(median "${local2[@]}"); mc=$(median "${cluster[@]}")
printf 'medians over %d runs: local --parallel 1 %.2f s, local --parallel 2 %.2f s, cluster %.2f s\n' "$runs" "$m1" "$m2" "$mc"
printf 'cluster / local one after another: %.3f (target <= 1.1); cluster / local two at a time: %.3f\n' \
  "$(echo "$mc / $m1" | bc -l)" "$(echo "$mc / $m2" | bc -l)"
printf 'every trial value identical to local: %s\n' "$same"
printf 'shard bytes shipped for the study: %d = %.2f copies of the rows (8 trials, 2 workers; one copy is %d bytes)\n' \
  "$bytes" "$(echo "$bytes / $shard" | bc -l)" "$shard"
