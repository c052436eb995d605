#!/usr/bin/env bash
# Logistic regression (L2, λ = 1 = scikit-learn's C = 1) by L-BFGS: trainyard against
# scikit-learn LogisticRegression(solver="lbfgs") on the same 1M rows, alternated.
#   bench/linear/run.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
bench/setup.sh >/dev/null
swift build -c release --product LinearBench >/dev/null
ours="$(swift build -c release --show-bin-path)/LinearBench"
results=$(mktemp)
for i in $(seq 1 "$runs"); do
  "$ours" --data-dir bench/out --threads 2 | tee -a "$results"
  bench/.venv/bin/python bench/linear/sklearn_logistic.py --data-dir bench/out --threads 2 | tee -a "$results"
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ours = [r for r in rows if r["lib"] == "trainyard"]
theirs = [r for r in rows if r["lib"] != "trainyard"]
t_o = statistics.median(r["train_seconds"] for r in ours); t_s = statistics.median(r["train_seconds"] for r in theirs)
o_o = ours[0]["objective"]; o_s = theirs[0]["objective"]
print(f"median time: trainyard {t_o:.2f} s, {theirs[0]['lib']} {t_s:.2f} s, time ratio {t_o / t_s:.3f} (target <= 1.0)")
print(f"objective: trainyard {o_o:.6f}, scikit-learn {o_s:.6f}, relative difference {(o_o - o_s) / o_s:+.2e} (target within 1e-4)")
PY
rm -f "$results"
