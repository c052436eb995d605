#!/usr/bin/env bash
# Serving: replicas, our proxy against nginx, and batch prediction against XGBoost.
#   bench/serving/run.sh [runs] [batch]   (default 3 runs; `batch`: only the batch comparison)
# Setup: the 200k-row synthetic churn set, a 100-tree depth-6 model, `trainyard registry`,
# publish + approve + promote, two `trainyard serve` replicas (each with its own SQLite
# prediction log), `trainyard proxy` twice (as it starts by default, and `--pipeline 4`: up to 4 requests
# pipelined per backend connection) and nginx (round robin, keepalive 64) in front of them; nginx
# twice: plain, and `nginx-ids`, which also passes on or makes an X-Request-Id and extends
# X-Forwarded-For, as our proxy does. All built as shipped: --static-swift-stdlib, as in docker/Dockerfile.
# Each run, every load for 10 s, from wrk and from `trainyard loadtest`:
#   single-row POST /predict, 32 connections: one replica directly, and through our proxy
#   both proxies vs nginx and nginx-ids, 64 connections (the order alternates from run to run)
#   batch: 10,000 rows as POST /invocations (dataframe_split) to a replica, `trainyard predict`
#   on the same rows as CSV, and XGBoost DMatrix + predict on the encoded matrix of the
#   exported model, and XGBoost from the same JSON body (json.loads, DataFrame, vectorized encoding,
#   DMatrix, predict: what a Python model server does, minus HTTP); median of 5 each; the
#   predictions are checked to agree.
# Prints each result, then medians, per-run values and every ratio with its target.
# Everything listens on 127.0.0.1:58000-58021 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
only=${2:-all}
[ "$only" = all ] || [ "$only" = batch ] || { echo "usage: bench/serving/run.sh [runs] [batch]" >&2; exit 2; }
bench/setup.sh >/dev/null
command -v nginx >/dev/null && command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx wrk >/dev/null; }
# The binary the Docker image ships: Swift's runtime linked in statically (docker/Dockerfile).
swift build -c release --product trainyard --static-swift-stdlib >/dev/null
ty="$(pwd)/.build/release/trainyard"
py=bench/.venv/bin/python
helpers=bench/serving/helpers.py
out="$(pwd)/bench/out/serving"
rm -rf "$out"; mkdir -p "$out"
data=bench/out/churn_200k.csv
model=bench/out/churn100.model
registry_port=58000 r1=58001 r2=58002 proxy_port=58010 pipelined_port=58011 nginx_port=58020 nginx_ids_port=58021
registry=http://127.0.0.1:$registry_port
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_ok() { # URL — until it answers 2xx (30 s at most)
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "$1 did not answer within 30 s (logs in $out)" >&2; exit 1
}

# --- setup: data, model, registry, replicas, proxy, nginx
[ -f "$data" ] || "$ty" data synth --rows 200000 --seed 42 --out "$data" >/dev/null
[ -f "$model" ] || "$ty" train --data "$data" --label churned --n-trees 100 --max-depth 6 --out "$model" >/dev/null
"$ty" export --model "$model" --out "$out/churn100.xgb.json" >/dev/null
"$py" "$helpers" bodies "$model" "$data" "$out" 10000

"$ty" registry --data-dir "$out/registry" --listen 127.0.0.1:$registry_port --log-level warning 2>"$out/registry.log" & pids+=($!)
wait_ok "$registry/health"
version=$("$ty" models publish churn --file "$model" --registry "$registry" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
"$ty" models approve churn "$version" --registry "$registry" --reason bench >/dev/null
"$ty" models promote churn "$version" --registry "$registry" --reason bench >/dev/null
for port in $r1 $r2; do
  "$ty" serve --registry "$registry" --model churn --listen 127.0.0.1:$port --log "$out/predictions-$port.sqlite" \
    --max-body-bytes 67108864 --log-level warning 2>"$out/replica-$port.log" & pids+=($!)
done
for port in $r1 $r2; do wait_ok "http://127.0.0.1:$port/v2/health/ready"; done

"$ty" proxy --listen 127.0.0.1:$proxy_port --backend http://127.0.0.1:$r1 --backend http://127.0.0.1:$r2 \
  --log-level warning 2>"$out/proxy.log" & pids+=($!)
"$ty" proxy --listen 127.0.0.1:$pipelined_port --backend http://127.0.0.1:$r1 --backend http://127.0.0.1:$r2 --pipeline 4 \
  --log-level warning 2>"$out/proxy-pipelined.log" & pids+=($!)
mkdir -p "$out/nginx"
cat > "$out/nginx/nginx.conf" <<EOF
# Reverse proxy with the settings one would deploy: a worker per core, keep-alive to the
# clients and (64 idle connections per worker) to the replicas, no access log (our proxy
# writes none), no limit on requests per keep-alive connection (ours has none).
user root;
worker_processes auto;
daemon off;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $out/nginx/body;
  proxy_temp_path $out/nginx/proxy;
  fastcgi_temp_path $out/nginx/fastcgi;
  uwsgi_temp_path $out/nginx/uwsgi;
  scgi_temp_path $out/nginx/scgi;
  keepalive_requests 1000000;
  upstream replicas {
    server 127.0.0.1:$r1;
    server 127.0.0.1:$r2;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    client_max_body_size 1m;
    location / {
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  # The same, doing what our proxy does besides: pass the client's X-Request-Id on or make one (the replica
  # returns it), and extend X-Forwarded-For.
  map \$http_x_request_id \$trainyard_request_id {
    default \$http_x_request_id;
    "" \$request_id;
  }
  server {
    listen 127.0.0.1:$nginx_ids_port;
    client_max_body_size 1m;
    location / {
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Request-Id \$trainyard_request_id;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
nginx -p "$out/nginx" -e "$out/nginx/error.log" -c "$out/nginx/nginx.conf" & pids+=($!)
wait_ok "http://127.0.0.1:$proxy_port/v2/health/ready"
wait_ok "http://127.0.0.1:$pipelined_port/v2/health/ready"
wait_ok "http://127.0.0.1:$nginx_port/v2/health/ready"
wait_ok "http://127.0.0.1:$nginx_ids_port/v2/health/ready"
for url in http://127.0.0.1:$r1 http://127.0.0.1:$proxy_port http://127.0.0.1:$pipelined_port http://127.0.0.1:$nginx_port http://127.0.0.1:$nginx_ids_port; do
  curl -fs -H 'Content-Type: application/json' --data-binary @"$out/one.json" "$url/predict" >/dev/null
done
echo "setup: model churn version $version on replicas :$r1 :$r2, proxy :$proxy_port and :$pipelined_port (--pipeline 4), nginx :$nginx_port ($(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2))"

# --- load
results="$out/results.jsonl"
: > "$results"
# CPU seconds (user + system) used so far by the process listening on PORT, with its children
# (nginx's workers); the proxies' CPU per request is printed next to their throughput.
cpu_seconds() { # PORT
  local pid hz; pid=$(ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2); hz=$(getconf CLK_TCK)
  local master; master=$(ps -o ppid= -p "$pid" | tr -d ' '); [ "$(ps -o comm= -p "$master")" = nginx ] && pid=$master
  cat "/proc/$pid/stat" $(for c in $(pgrep -P "$pid"); do echo "/proc/$c/stat"; done) 2>/dev/null \
    | awk -v hz="$hz" '{ sub(/^.*\) /, ""); t += $12 + $13 } END { printf "%.3f", t / hz }'
}
load_wrk() { # NAME RUN PORT CONNECTIONS [SECONDS]
  local before; before=$(cpu_seconds "$3")
  timeout 60 wrk -t2 -c"$4" -d"${5:-10}"s --latency -s "$out/post.lua" "http://127.0.0.1:$3/predict" > "$out/wrk.txt"
  [ "$1" = warmup ] || "$py" "$helpers" wrk "$results" "$1" "$2" "$(echo "$(cpu_seconds "$3") - $before" | bc)" < "$out/wrk.txt"
  sleep 1
}
load_ours() { # NAME RUN PORT CONNECTIONS
  local before; before=$(cpu_seconds "$3")
  timeout 60 "$ty" loadtest --url "http://127.0.0.1:$3/predict" --body "$out/one.json" --header 'Content-Type: application/json' \
    --concurrency "$4" --duration 10s --json > "$out/loadtest.json"
  "$py" "$helpers" lt "$results" "$1" "$2" "$(echo "$(cpu_seconds "$3") - $before" | bc)" < "$out/loadtest.json"
  sleep 1
}
# Warm-up (not recorded): connections, pools and caches of every path.
[ "$only" = batch ] || for port in $r1 $proxy_port $pipelined_port $nginx_port $nginx_ids_port; do load_wrk warmup 0 "$port" 64 3; done

for run in $(seq 1 "$runs"); do
  if [ "$only" = batch ]; then tools=(); sides=()
  elif (( run % 2 )); then tools=(wrk ours)
    sides=("proxy $proxy_port" "nginx $nginx_port" "proxy-pipelined $pipelined_port" "nginx-ids $nginx_ids_port")
  else tools=(ours wrk)
    sides=("nginx-ids $nginx_ids_port" "proxy-pipelined $pipelined_port" "nginx $nginx_port" "proxy $proxy_port"); fi
  for tool in "${tools[@]}"; do "load_$tool" replica-c32 "$run" $r1 32; done
  for tool in "${tools[@]}"; do "load_$tool" proxy-c32 "$run" $proxy_port 32; done
  for tool in wrk ours; do
    for side in "${sides[@]}"; do read -r name port <<<"$side"; "load_$tool" "$name-c64" "$run" "$port" 64; done
  done
  "$py" "$helpers" batch "$results" "$run" "$ty" "$(pwd)/$model" "$out/churn100.xgb.json" "$out" \
    "http://127.0.0.1:$r1/invocations" 5
done

"$py" "$helpers" summary "$results"
