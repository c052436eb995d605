#!/usr/bin/env bash
# 8 MiB f32 frames coordinator <-> worker: our ZeroMQ layer + codec + CoordinatorService
# against raw libzmq (C) doing the same framing, alternated in one run. Prints each run,
# the medians and the ratio (target >= 0.9); then the same with CurveZMQ between the two,
# and the CURVE / plaintext ratio.
#   bench/transport/run.sh [runs] [count]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
runs=${1:-7}
count=${2:-200}
mkdir -p bench/out
swift build -c release --product TransportBench >/dev/null
ours_bin="$(swift build -c release --show-bin-path)/TransportBench"
cc -O2 -o bench/out/raw_zmq bench/transport/raw_zmq.c -lzmq -lpthread


ours=(); raw=(); curve=()
for i in $(seq 1 "$runs"); do
  o=$("$ours_bin" --size-mib 8 --count "$count" --window 4 --port $((56300 + 3 * i)) | awk '/^ours/ {print $2}')
  r=$(bench/out/raw_zmq --size-mib 8 --count "$count" --window 4 --port $((56301 + 3 * i)) | awk '/^raw/ {print $2}')
  c=$("$ours_bin" --size-mib 8 --count "$count" --window 4 --port $((56302 + 3 * i)) --curve | awk '/^ours-curve/ {print $2}')
  echo "run $i: ours $o GB/s, raw libzmq $r GB/s, ours with CURVE $c GB/s"
  ours+=("$o"); raw+=("$r"); curve+=("$c")
done
mo=$(median "${ours[@]}"); mr=$(median "${raw[@]}"); mc=$(median "${curve[@]}")
echo "median: ours $mo GB/s, raw libzmq $mr GB/s, ratio $(awk -v o="$mo" -v r="$mr" 'BEGIN {printf "%.3f", o / r}') (target >= 0.9)"
echo "median: ours with CURVE $mc GB/s, CURVE / plaintext $(awk -v c="$mc" -v o="$mo" 'BEGIN {printf "%.3f", c / o}')"
