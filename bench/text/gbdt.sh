#!/usr/bin/env bash
# Trees on text: trainyard's GBDT (hashed word 1-2-gram TF-IDF, dense buckets: 1,024 for this vocabulary, one
# byte per row and bucket once binned) against XGBoost hist on the same kind of features from a CSR matrix
# (its sparse path) and from the same matrix dense, on bench/text's reviews (8,000 training, 2,000 test),
# 100 trees, depth 6, 256 bins, 2 threads, alternated in one run. Times are from the loaded strings to the
# trained model (trainyard: `train --json`'s fit_seconds; XGBoost: vectorize + DMatrix + train). Prints the
# medians and the ratios: does a sparse layout matter at the widths trees take?
#   bench/text/gbdt.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
runs=${1:-3}
bench/setup.sh >/dev/null
swift build -c release --product trainyard >/dev/null
bin="$(swift build -c release --show-bin-path)/trainyard"
out=bench/out/text
mkdir -p "$out"
"$bin" data synth --kind reviews --rows 8000 --seed 1 --out "$out/train.csv" >/dev/null
"$bin" data synth --kind reviews --rows 2000 --seed 2 --out "$out/test.csv" >/dev/null
results=$(mktemp)
for _ in $(seq 1 "$runs"); do
  fit=$("$bin" train --data "$out/train.csv" --label sentiment --model gbdt --threads 2 --json --out "$out/trees.tym" \
          | tail -1 | python3 -c "import json,sys; print(json.load(sys.stdin)['fit_seconds'])")
  "$bin" evaluate --model "$out/trees.tym" --data "$out/test.csv" --json \
    | python3 -c "import json,sys; m=json.load(sys.stdin)['metrics']; print(json.dumps({'lib': 'trainyard', 'train_seconds': $fit, 'accuracy': m['accuracy'], 'auc': m['auc']}))" \
    | tee -a "$results"
  for layout in sparse dense; do
    bench/.venv/bin/python bench/text/xgboost_text.py --train "$out/train.csv" --test "$out/test.csv" --layout "$layout" | tee -a "$results"
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(lib, key): return statistics.median(r[key] for r in rows if r["lib"] == lib)
ours = med("trainyard", "train_seconds")
print(f"trainyard gbdt (dense buckets): {ours:.2f} s, accuracy {med('trainyard', 'accuracy'):.4f}, auc {med('trainyard', 'auc'):.4f}")
for lib in ["xgboost sparse", "xgboost dense"]:
    print(f"{lib:15}: {med(lib, 'train_seconds'):.2f} s, accuracy {med(lib, 'accuracy'):.4f}, auc {med(lib, 'auc'):.4f}"
          f" | trainyard / {lib} time {ours / med(lib, 'train_seconds'):.2f}")
PY
