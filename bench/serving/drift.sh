#!/usr/bin/env bash
# The cost of drift detection on the serving hot path, A/B in one run: two replicas serve the same
# 100-tree depth-6 churn model (200k synthetic rows), one from its file as trained (with the
# training baseline: every request's rows enter the drift window), one from the same file with
# the baseline removed (no drift monitor). Loads, alternated, 10 s each, `runs` times:
#   single-row POST /predict, 32 connections (wrk);
#   10,000-row POST /invocations dataframe_split, 4 connections (wrk).
# Prints each result, the medians and the ratio with drift / without (target: throughput ≥ 0.95).
# Everything listens on 127.0.0.1:58030-58031 and is stopped on exit.
#   bench/serving/drift.sh [runs]      (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
runs=${1:-3}
bench/setup.sh >/dev/null
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product trainyard --static-swift-stdlib >/dev/null
ty="$(pwd)/.build/release/trainyard"
py=bench/.venv/bin/python
out="$(pwd)/bench/out/serving-drift"
rm -rf "$out"; mkdir -p "$out"
data=bench/out/churn_200k.csv
[ -f "$data" ] || "$ty" data synth --rows 200000 --seed 42 --out "$data" >/dev/null
"$ty" train --data "$data" --label churned --n-trees 100 --max-depth 6 --out "$out/with.model" >/dev/null
# The same model without its baseline: drop the key, rewrite the header's checksum and length.
python3 - "$out/with.model" "$out/without.model" <<'PY'
import hashlib, json, sys
raw = open(sys.argv[1], "rb").read()
header, body = raw.split(b"\n", 1)
model = json.loads(body)
assert "baseline" in model, "the trained model has no baseline"
del model["baseline"]
body = json.dumps(model, separators=(",", ":")).encode()
version = header.split()[1].decode()
open(sys.argv[2], "wb").write(f"trainyard-model {version} sha256={hashlib.sha256(body).hexdigest()} bytes={len(body)}\n".encode() + body)
PY
"$py" bench/serving/helpers.py bodies "$out/with.model" "$data" "$out" 10000
cat > "$out/batch.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open("$out/batch.json", "rb")
wrk.body = file:read("*a")
file:close()
LUA
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
declare -A port=([with]=58030 [without]=58031)
for side in with without; do
  "$ty" serve --model-file "$out/$side.model" --model churn --listen 127.0.0.1:${port[$side]} --log none \
    --max-body-bytes 67108864 --log-level warning 2>"$out/replica-$side.log" & pids+=($!)
done
for side in with without; do
  for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:${port[$side]}/ping" && break; sleep 0.1; done
done
curl -fs "http://127.0.0.1:${port[with]}/v2/models/churn/drift" >/dev/null || { echo "the replica with the baseline has no drift report" >&2; exit 1; }

# rps NAME PATH LUA CONNECTIONS → requests per second
rps() {
  timeout 60 wrk -t2 -c"$4" -d10s -s "$3" "http://127.0.0.1:${port[$1]}$2" | awk '/Requests\/sec/ {print $2}'
}
declare -A single batch
for run in $(seq 1 "$runs"); do
  order=(with without); [ $((run % 2)) = 0 ] && order=(without with)
  for side in "${order[@]}"; do
    single[$side]+="$(rps "$side" /predict "$out/post.lua" 32) "
    batch[$side]+="$(rps "$side" /invocations "$out/batch.lua" 4) "
  done
  echo "run $run: /predict with $(echo ${single[with]} | awk '{print $NF}') rps, without $(echo ${single[without]} | awk '{print $NF}') rps;" \
       "/invocations (10,000 rows) with $(echo ${batch[with]} | awk '{print $NF}') rps, without $(echo ${batch[without]} | awk '{print $NF}') rps"
done
sw=$(median ${single[with]}); so=$(median ${single[without]}); bw=$(median ${batch[with]}); bo=$(median ${batch[without]})
printf 'medians: /predict %.0f vs %.0f rps (ratio %.3f); /invocations %.1f vs %.1f rps (ratio %.3f); target >= 0.95\n' \
  "$sw" "$so" "$(echo "$sw / $so" | bc -l)" "$bw" "$bo" "$(echo "$bw / $bo" | bc -l)"
curl -fs "http://127.0.0.1:${port[with]}/v2/models/churn/drift" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("drift window:", r["rows"], "rows; largest feature PSI %.4f" % max(f.get("psi") or 0 for f in r["features"]))'
