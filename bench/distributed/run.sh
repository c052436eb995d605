#!/usr/bin/env bash
# Distributed GBDT training against local training, on the ML core benchmark's 1M-row set
# and parameters (100 trees, depth 6, eta 0.1, 256 bins), alternated in one run:
#   local `trainyard train --threads 2`   vs  coordinator + 2 workers with 1 core each
#   local `trainyard train --threads 1`   vs  coordinator + 1 worker with 1 core, which grows
#                                            whole trees (TREE_GROW), and the same with the
#                                            coordinator's --per-level-exchange (every level
#                                            through the coordinator, as with 2 workers)
#   coordinator + 2 workers as above with CurveZMQ (encrypted, ZAP-authenticated) against the
#                                            same without it
# Every process runs on this machine over loopback TCP.
#   bench/distributed/run.sh [runs]      (default 3)
# Prints each run, then medians, the ratios (targets: <= 1.2, <= 1.05 and CURVE <= 1.10) and the bytes
# exchanged per tree and per tree level (requests and replies, shard shipping excluded).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
runs=${1:-3}
bench/setup.sh >/dev/null
swift build -c release --product trainyard >/dev/null
ty="$(swift build -c release --show-bin-path)/trainyard"
out=bench/out/distributed
mkdir -p "$out"
source bench/distributed/cluster.sh
params=(--label label --n-trees 100 --max-depth 6 --eta 0.1 --max-bin 256 --lambda 1)
endpoint=tcp://127.0.0.1:5731

# local THREADS → "wall_seconds boost_seconds"
local_run() {
  local start end boost
  start=$(date +%s.%N)
  boost=$("$ty" train --data "$data" "${params[@]}" --threads "$1" --out "$out/local.model" --json \
          | python3 -c 'import json,sys; print([json.loads(l) for l in sys.stdin if "\"round\"" in l][-1]["elapsed_seconds"])')
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $boost"
}

# distributed WORKERS [COORDINATOR_ARGS...] → "wall_seconds boost_seconds bytes_per_tree"
distributed_run() {
  local n=$1 state
  shift
  state=$(mktemp -d)
  start_cluster "$ty" "$endpoint" "$n" bench-w "$state" "$@"
  local start end
  start=$(date +%s.%N)
  "$ty" submit train --coordinator "$endpoint" --workers "$n" --data "$data" "${params[@]}" --wait --json "${client_curve[@]}" \
    > "$out/job.json"
  end=$(date +%s.%N)
  "$ty" jobs show 1 --coordinator "$endpoint" --json "${client_curve[@]}" | python3 -c '
import json, sys
job = json.load(sys.stdin)
trees = job["round"]
print(job["history"][-1]["elapsed_seconds"], (job["bytes_sent"] + job["bytes_received"] - job["shard_bytes"]) / trees)' | {
    read -r boost per_tree
    echo "$(echo "$end - $start" | bc) $boost $per_tree"
  }
  cleanup
  rm -rf "$state"
}

declare -a l2w l2b d2w d2b l1w l1b d1w d1b d2bytes d1bytes p1w p1b p1bytes c2w c2b
for i in $(seq 1 "$runs"); do
  read -r w b <<<"$(local_run 2)"; l2w+=("$w"); l2b+=("$b")
  read -r w b t <<<"$(distributed_run 2)"; d2w+=("$w"); d2b+=("$b"); d2bytes+=("$t")
  echo "run $i: 2 threads local ${l2w[-1]} s (boosting ${l2b[-1]} s) | 2 workers ${d2w[-1]} s (boosting ${d2b[-1]} s), $(printf '%.0f' "$t") bytes/tree"
  curve_on "$ty" "$out/curve-keys"
  read -r w b t <<<"$(distributed_run 2)"; c2w+=("$w"); c2b+=("$b")
  curve_off
  echo "run $i: 2 workers with CURVE ${c2w[-1]} s (boosting ${c2b[-1]} s)"
  read -r w b <<<"$(local_run 1)"; l1w+=("$w"); l1b+=("$b")
  read -r w b t <<<"$(distributed_run 1)"; d1w+=("$w"); d1b+=("$b"); d1bytes+=("$t")
  echo "run $i: 1 thread  local ${l1w[-1]} s (boosting ${l1b[-1]} s) | 1 worker  ${d1w[-1]} s (boosting ${d1b[-1]} s), $(printf '%.0f' "$t") bytes/tree"
  read -r w b t <<<"$(distributed_run 1 --per-level-exchange)"; p1w+=("$w"); p1b+=("$b"); p1bytes+=("$t")
  echo "run $i: 1 worker, per-level exchange ${p1w[-1]} s (boosting ${p1b[-1]} s), $(printf '%.0f' "$t") bytes/tree"
done

python3 - "$(median "${l2w[@]}")" "$(median "${l2b[@]}")" "$(median "${d2w[@]}")" "$(median "${d2b[@]}")" \
          "$(median "${l1w[@]}")" "$(median "${l1b[@]}")" "$(median "${d1w[@]}")" "$(median "${d1b[@]}")" \
          "$(median "${d2bytes[@]}")" "$(median "${d1bytes[@]}")" \
          "$(median "${p1w[@]}")" "$(median "${p1b[@]}")" "$(median "${p1bytes[@]}")" \
          "$(median "${c2w[@]}")" "$(median "${c2b[@]}")" <<'PY'
import sys
l2w, l2b, d2w, d2b, l1w, l1b, d1w, d1b, d2t, d1t, p1w, p1b, p1t, c2w, c2b = map(float, sys.argv[1:])
print(f"{'medians':28} {'end to end s':>13} {'boosting s':>11}")
for name, w, b in [("local, 2 threads", l2w, l2b), ("2 workers x 1 core", d2w, d2b),
                   ("local, 1 thread", l1w, l1b), ("1 worker x 1 core", d1w, d1b),
                   ("1 worker, per-level exchange", p1w, p1b), ("2 workers, CURVE", c2w, c2b)]:
    print(f"{name:28} {w:13.2f} {b:11.2f}")
print(f"2 workers / local 2 threads: end to end {d2w / l2w:.3f}, boosting {d2b / l2b:.3f} (target <= 1.2)")
print(f"1 worker / local 1 thread:   end to end {d1w / l1w:.3f}, boosting {d1b / l1b:.3f} (target <= 1.05)")
print(f"1 worker per-level / local:  end to end {p1w / l1w:.3f}, boosting {p1b / l1b:.3f}")
print(f"2 workers CURVE / plaintext: end to end {c2w / d2w:.3f}, boosting {c2b / d2b:.3f} (target <= 1.10)")
levels = 6
print(f"traffic, 2 workers: {d2t / 1e6:.2f} MB per tree, {d2t / levels / 1e6:.2f} MB per level (both directions, all workers)")
print(f"traffic, 1 worker:  {d1t / 1e6:.4f} MB per tree (whole trees; mostly the per-job sketch and bin cuts spread over the trees)")
print(f"traffic, 1 worker per-level: {p1t / 1e6:.2f} MB per tree, {p1t / levels / 1e6:.2f} MB per level")
PY
