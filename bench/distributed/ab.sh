#!/usr/bin/env bash
# A/B of two trainyard binaries on the same distributed job, runs alternating:
#   bench/distributed/ab.sh OLD_BINARY NEW_BINARY [workers] [trees] [pairs]   (default 1 100 4)
# Each run starts a coordinator and WORKERS 1-core workers of that binary on loopback, trains
# the distributed benchmark's 1M-row set (depth 6, eta 0.1, 256 bins) and prints the boosting
# seconds from the job's history; then the medians and the new/old ratio. For changes whose
# effect is smaller than the run-to-run noise of bench/distributed/run.sh: build the old
# commit's binary, copy it aside, build the new one, and compare them here.
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1; new=$2; workers=${3:-1}; trees=${4:-100}; pairs=${5:-4}
bench/setup.sh >/dev/null
source bench/distributed/cluster.sh
endpoint=tcp://127.0.0.1:5744

# boost BINARY → boosting seconds of one job
boost() {
  local ty=$1 state
  state=$(mktemp -d)
  start_cluster "$ty" "$endpoint" "$workers" ab-w "$state"
  "$ty" submit train --coordinator "$endpoint" --workers "$workers" --data "$data" --label label --n-trees "$trees" \
    --max-depth 6 --eta 0.1 --max-bin 256 --lambda 1 --wait --json > /dev/null
  "$ty" jobs show 1 --coordinator "$endpoint" --json \
    | python3 -c 'import json, sys; print(round(json.load(sys.stdin)["history"][-1]["elapsed_seconds"], 3))'
  cleanup
  rm -rf "$state"
}

olds=(); news=()
for pair in $(seq 1 "$pairs"); do
  a=$(boost "$old"); b=$(boost "$new")
  olds+=("$a"); news+=("$b")
  echo "pair $pair: old $a s, new $b s"
done
python3 - "${olds[*]}" "${news[*]}" <<'PY'
import statistics, sys
old = [float(x) for x in sys.argv[1].split()]
new = [float(x) for x in sys.argv[2].split()]
print(f"medians: old {statistics.median(old):.2f} s, new {statistics.median(new):.2f} s, "
      f"new/old {statistics.median(new) / statistics.median(old):.3f}; new faster in {sum(n < o for o, n in zip(old, new))} of {len(old)} pairs")
PY
