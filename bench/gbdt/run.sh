#!/usr/bin/env bash
# GBDT training and batch prediction: trainyard against XGBoost (hist) and LightGBM on the
# same 1M-row training set, parameters and threads, alternated in one run.
#   bench/gbdt/run.sh [runs]        (default 3; each run trains all three once)
# Prints every run, then medians and the ratios the quality bars are stated in.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
bench/setup.sh >/dev/null
swift build -c release --product GBDTBench >/dev/null
ours="$(swift build -c release --show-bin-path)/GBDTBench"
args=(--data-dir bench/out --threads 2 --trees 100 --depth 6 --eta 0.1 --bins 256 --lambda 1)
results=$(mktemp)
for i in $(seq 1 "$runs"); do
  "$ours" "${args[@]}" | tee -a "$results"
  bench/.venv/bin/python bench/gbdt/anchors.py --lib xgboost "${args[@]}" | tee -a "$results"
  bench/.venv/bin/python bench/gbdt/anchors.py --lib lightgbm "${args[@]}" | tee -a "$results"
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
def med(lib, key):
    return statistics.median(r[key] for r in rows if r["lib"].startswith(lib))
libs = ["trainyard", "xgboost", "lightgbm"]
print(f"{'':10} {'train s':>8} {'AUC':>9} {'predict rows/s':>15} {'peak RSS MiB':>13}")
for lib in libs:
    print(f"{lib:10} {med(lib,'train_seconds'):8.2f} {med(lib,'auc'):9.6f} {med(lib,'predict_rows_per_s'):15,.0f} {med(lib,'peak_rss_mib'):13.1f}")
fastest = min(med("xgboost", "train_seconds"), med("lightgbm", "train_seconds"))
print(f"train time / faster anchor: {med('trainyard','train_seconds') / fastest:.3f} (target <= 1.0)")
print(f"AUC - XGBoost AUC: {med('trainyard','auc') - med('xgboost','auc'):+.6f} (target within 0.002)")
print(f"peak RSS / XGBoost: {med('trainyard','peak_rss_mib') / med('xgboost','peak_rss_mib'):.3f} (target <= 1.0)")
print(f"predict rows/s / XGBoost: {med('trainyard','predict_rows_per_s') / med('xgboost','predict_rows_per_s'):.3f} (target >= 1.0)")
PY
rm -f "$results"
