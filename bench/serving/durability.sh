#!/usr/bin/env bash
# The cost of `trainyard serve --log-durability commit` (each response waits for its record to be in the log's journal)
# against the default `batched` log, side by side in one run.
#   bench/serving/durability.sh [runs]   (default 5)
# Setup: the 20k-row synthetic churn set, a 100-tree depth-6 model, `trainyard registry`, publish + approve +
# promote, and two replicas of the shipped build (--static-swift-stdlib): :58101 with the default batched log,
# :58102 with --log-durability commit, each with its own SQLite log. Each run: wrk, 2 threads, 32 connections,
# 10 s of single-row POST /predict against each replica, the order alternating from run to run. Prints each result,
# the medians and the ratio commit / batched (target: throughput ≥ 0.90).
# Everything listens on 127.0.0.1:58100-58102 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product trainyard --static-swift-stdlib >/dev/null
ty="$(pwd)/.build/release/trainyard"
out="$(pwd)/bench/out/durability"
rm -rf "$out"; mkdir -p "$out"
registry=http://127.0.0.1:58100
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_ok() { for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "$1 did not answer" >&2; exit 1; }

"$ty" data synth --rows 20000 --seed 42 --out "$out/churn.csv" >/dev/null
"$ty" train --data "$out/churn.csv" --label churned --n-trees 100 --max-depth 6 --out "$out/churn.model" >/dev/null
"$ty" registry --data-dir "$out/registry" --listen 127.0.0.1:58100 --log-level warning 2>"$out/registry.log" & pids+=($!)
wait_ok "$registry/health"
version=$("$ty" models publish churn --file "$out/churn.model" --registry "$registry" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
"$ty" models approve churn "$version" --registry "$registry" >/dev/null
"$ty" models promote churn "$version" --registry "$registry" >/dev/null
"$ty" serve --registry "$registry" --model churn --listen 127.0.0.1:58101 --log "$out/batched.sqlite" --log-level warning 2>"$out/batched.log" & pids+=($!)
"$ty" serve --registry "$registry" --model churn --listen 127.0.0.1:58102 --log "$out/commit.sqlite" --log-durability commit --log-level warning 2>"$out/commit.log" & pids+=($!)
wait_ok http://127.0.0.1:58101/v2/health/ready
wait_ok http://127.0.0.1:58102/v2/health/ready

body='{"tenure_months":11,"monthly_charges":88.77,"total_charges":975.07,"contract":"one-year","payment_method":"credit-card","internet_service":"fiber","support_calls":5,"age":33,"senior":0,"region":"north"}'
cat > "$out/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
load() { # NAME PORT SECONDS — prints "NAME req/s p99-ms"
  wrk -t2 -c32 -d"$3"s --latency -s "$out/post.lua" "http://127.0.0.1:$2/predict" > "$out/wrk.txt"
  grep -q "Non-2xx" "$out/wrk.txt" && { echo "$1: non-2xx answers" >&2; cat "$out/wrk.txt" >&2; exit 1; }
  local rps p99; rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk.txt")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; print v }' "$out/wrk.txt")
  echo "$1 $rps $p99"
}
load warmup 58101 3 >/dev/null; load warmup 58102 3 >/dev/null
: > "$out/results.txt"
for run in $(seq 1 "$runs"); do
  if (( run % 2 )); then order=("batched 58101" "commit 58102"); else order=("commit 58102" "batched 58101"); fi
  for side in "${order[@]}"; do read -r name port <<<"$side"; line=$(load "$name" "$port" 10); echo "run $run: $line"; echo "$line" >> "$out/results.txt"; sleep 1; done
done
python3 - "$out/results.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {name: (statistics.median(float(r[1]) for r in rows if r[0] == name), statistics.median(float(r[2]) for r in rows if r[0] == name))
       for name in ("batched", "commit")}
for name, (rps, p99) in med.items(): print(f"median {name:8s} {rps:10.0f} req/s  p99 {p99:.2f} ms")
print(f"commit / batched: throughput {med['commit'][0] / med['batched'][0]:.3f}x (target >= 0.90), p99 {med['commit'][1] / med['batched'][1]:.2f}x")
PY
echo "records logged: batched $(python3 -c "import sqlite3; print(sqlite3.connect('$out/batched.sqlite').execute('select count(*) from prediction').fetchone()[0])"), commit $(python3 -c "import sqlite3; print(sqlite3.connect('$out/commit.sqlite').execute('select count(*) from prediction').fetchone()[0])")"
