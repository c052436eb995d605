# Shared by bench/distributed/run.sh and ab.sh (sourced, from the repository root).

# The ML core benchmark's first 1M rows (after bench/setup.sh), as an absolute path.
data=bench/out/cls_1m.csv
[ -f "$data" ] || head -n 1000001 bench/out/cls_1.1m.csv > "$data"
data="$(pwd)/$data"

# Processes started by start_cluster, stopped by cleanup (and on exit).
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap cleanup EXIT

# CURVE flags: empty (plaintext) unless curve_on has been called. coordinator_curve goes to the
# coordinator, client_curve to workers and every CLI call (status, submit, jobs).
coordinator_curve=(); client_curve=()

# curve_on BINARY DIR: generate a coordinator key and one key for the workers and the CLI (once)
# in DIR, and turn CURVE on for the clusters started from now on; curve_off turns it off.
curve_on() {
  local ty=$1 dir=$2
  mkdir -p "$dir/allowed"
  [ -f "$dir/coordinator.key" ] || "$ty" keys generate --out "$dir/coordinator" >/dev/null
  [ -f "$dir/client.key" ] || { "$ty" keys generate --out "$dir/client" >/dev/null; cp "$dir/client.pub" "$dir/allowed/"; }
  coordinator_curve=(--curve-secret-key "$dir/coordinator.key" --curve-allow "$dir/allowed")
  client_curve=(--curve-secret-key "$dir/client.key" --coordinator-public-key "$dir/coordinator.pub")
}
curve_off() { coordinator_curve=(); client_curve=(); }

# start_cluster BINARY ENDPOINT WORKERS ID_PREFIX STATE_DIR [COORDINATOR_ARGS...]: a coordinator
# and WORKERS 1-core workers of BINARY on loopback; returns once they are alive (or after 10 s).
start_cluster() {
  local ty=$1 endpoint=$2 n=$3 prefix=$4 state=$5
  shift 5
  "$ty" coordinator --bind "$endpoint" --state-dir "$state" --log-level warning "${coordinator_curve[@]}" "$@" & pids+=($!)
  for i in $(seq 1 "$n"); do
    "$ty" worker --connect "$endpoint" --id "$prefix$i" --cores 1 --log-level warning "${client_curve[@]}" & pids+=($!)
  done
  for _ in $(seq 1 100); do
    [ "$("$ty" cluster status --coordinator "$endpoint" --json "${client_curve[@]}" 2>/dev/null | grep -o '"state":"alive"' | wc -l)" -ge "$n" ] && break
    sleep 0.1
  done
}
