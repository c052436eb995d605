# Shared by bench/distributed/run.sh and ab.sh (sourced, from the repository root).

# The ML core benchmark's first 1M rows (after bench/setup.sh), as an absolute path.
data=bench/out/cls_1m.csv
[ -f "$data" ] || head -n 1000001 bench/out/cls_1.1m.csv > "$data"
data="$(pwd)/$data"

# Processes started by start_cluster, stopped by cleanup (and on exit).
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap cleanup EXIT

# start_cluster BINARY ENDPOINT WORKERS ID_PREFIX STATE_DIR [COORDINATOR_ARGS...]: a coordinator
# and WORKERS 1-core workers of BINARY on loopback; returns once they are alive (or after 10 s).
start_cluster() {
  local ty=$1 endpoint=$2 n=$3 prefix=$4 state=$5
  shift 5
  "$ty" coordinator --bind "$endpoint" --state-dir "$state" --log-level warning "$@" & pids+=($!)
  for i in $(seq 1 "$n"); do "$ty" worker --connect "$endpoint" --id "$prefix$i" --cores 1 --log-level warning & pids+=($!); done
  for _ in $(seq 1 100); do
    [ "$("$ty" cluster status --coordinator "$endpoint" --json 2>/dev/null | grep -o '"state":"alive"' | wc -l)" -ge "$n" ] && break
    sleep 0.1
  done
}
