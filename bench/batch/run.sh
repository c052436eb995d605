#!/usr/bin/env bash
# Batch transform: `trainyard submit predict` on 2 workers against XGBoost scoring the same rows end to end.
#   bench/batch/run.sh [runs] [rows]      (default 3 runs, 1,000,000 rows)
# The rows: `trainyard data synth --rows N --seed 9` (11 columns, 4 categorical). The model: bench/serving's
# 100-tree depth-6 churn model, exported to XGBoost JSON so both score with the same trees.
# Ours, end to end from the command to the output file: a coordinator (embedded registry, the model published and
# promoted) and two workers (--cores 1 each, the machine's 2 cores); `submit predict --model churn --data FILE
# --workers 2 --keep region --out F` — the coordinator cuts the CSV into slices, the workers parse, encode and score
# them, the coordinator joins the lines in order and the CLI downloads and writes the file. Also `trainyard predict`
# (one process, 2 threads) for reference. XGBoost (bench/batch/xgboost_batch.py): pandas read_csv, the model's
# encoding vectorized, DMatrix, predict with 2 threads, pandas to_csv of region, probability and class.
# Alternated, medians; the outputs are checked to agree (probabilities within 1e-6, the same classes).
# Prints rows/s and the ratio (target: ours ≥ 1.5× XGBoost's rows/s).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
runs=${1:-3}
rows=${2:-1000000}
bench/setup.sh >/dev/null
swift build -c release --product trainyard >/dev/null
ty="$(swift build -c release --show-bin-path)/trainyard"
py=bench/.venv/bin/python
out="$(pwd)/bench/out/batch"
rm -rf "$out"; mkdir -p "$out"
train=bench/out/churn_200k.csv model=bench/out/churn100.model data="$out/score.csv"
[ -f "$train" ] || "$ty" data synth --rows 200000 --seed 42 --out "$train" >/dev/null
[ -f "$model" ] || "$ty" train --data "$train" --label churned --n-trees 100 --max-depth 6 --out "$model" >/dev/null
"$ty" export --model "$model" --out "$out/model.xgb.json" >/dev/null
"$ty" data synth --rows "$rows" --seed 9 --out "$data" >/dev/null
port=58030 registry_port=58031
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
"$ty" coordinator --bind tcp://127.0.0.1:$port --state-dir "$out/state" --registry-listen 127.0.0.1:$registry_port --insecure \
  --data-root "$out" --log-level warning 2>"$out/coordinator.log" & pids+=($!)
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$registry_port/health" && break; sleep 0.1; done
for id in w1 w2; do
  "$ty" worker --connect tcp://127.0.0.1:$port --id $id --cores 1 --log-level warning 2>"$out/$id.log" & pids+=($!)
done
registry=(--registry "http://127.0.0.1:$registry_port")
"$ty" models publish churn --file "$model" "${registry[@]}" >/dev/null
"$ty" models approve churn 1 "${registry[@]}" >/dev/null
"$ty" models promote churn 1 "${registry[@]}" >/dev/null
for _ in $(seq 1 100); do "$ty" cluster status --coordinator tcp://127.0.0.1:$port 2>/dev/null | grep -q "2 alive" && break; sleep 0.1; done

results="$out/results.jsonl"
: >"$results"
seconds() { local start=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $start" | bc; }
for i in $(seq 1 "$runs"); do
  s=$(seconds "$ty" submit predict --coordinator tcp://127.0.0.1:$port --model churn --data "$data" --workers 2 --keep region \
        --out "$out/ours.csv" --timeout 60s)
  echo "{\"lib\": \"trainyard 2 workers\", \"seconds\": $s}" | tee -a "$results"
  s=$(seconds "$ty" predict --model "$model" --data "$data" --threads 2 --out "$out/local.csv")
  echo "{\"lib\": \"trainyard predict\", \"seconds\": $s}" | tee -a "$results"
  "$py" bench/batch/xgboost_batch.py --model "$model" --xgb "$out/model.xgb.json" --data "$data" --out "$out/xgb.csv" --keep region \
    | tee -a "$results"
done

"$py" - "$results" "$rows" "$out/ours.csv" "$out/xgb.csv" <<'PY'
import json, statistics, sys
import pandas as pd
rows = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
def med(lib): return statistics.median(r["seconds"] for r in rows if r["lib"] == lib)
ours, xgb = pd.read_csv(sys.argv[3]), pd.read_csv(sys.argv[4])
assert len(ours) == len(xgb) == n, (len(ours), len(xgb))
assert (ours["region"] == xgb["region"]).all() and (ours["class"] == xgb["class"]).all()
worst = (ours["probability"] - xgb["probability"]).abs().max()
assert worst < 1e-6, worst
x = med("xgboost")
for lib in ["trainyard 2 workers", "trainyard predict", "xgboost"]:
    t = med(lib)
    print(f"{lib:20} {t:7.2f} s  {n / t:12,.0f} rows/s  ({x / t:.2f}x XGBoost's rows/s)")
print(f"outputs agree: {n} rows, largest probability difference {worst:.2e}")
print("target: trainyard 2 workers >= 1.5x XGBoost's rows/s")
PY
