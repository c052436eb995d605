#!/usr/bin/env bash
# Sentiment on generated movie reviews (8,000 training, 2,000 test; `trainyard data synth --kind reviews`,
# negations and mixed reviews): trainyard's linear model on hashed word n-gram TF-IDF against scikit-learn's
# TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + LogisticRegression, alternated, in one run.
# Prints test accuracy and AUC (target: within 0.005 of scikit-learn's, or better), training time (trainyard's
# `fit_seconds` — preprocess fit and transform, L-BFGS, training metrics — against scikit-learn's vectorize + fit,
# both after the CSV is loaded; target ≤ 0.5×; trainyard's whole process too), L-BFGS iterations (trainyard's
# default tolerance is far stricter than scikit-learn's tol=1e-4 on a mean, hence a run at --tol 1e-5), and the latency of one review: through a trainyard replica over HTTP (keep-alive), and
# scikit-learn's in-process predict for reference. Unigram runs of both show what word pairs add.
#   bench/text/run.sh [runs]
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
for i in $(seq 1 "$runs"); do
  for config in "1|" "1-2|" "1-2|--tol 1e-5"; do
    ngrams=${config%%|*}; extra=${config#*|}
    name="trainyard $ngrams${extra:+ $extra}"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    fit=$("$bin" train --data "$out/train.csv" --label sentiment --model linear --text-ngrams "$ngrams" $extra --json \
            --out "$out/model-$ngrams.tym" | tail -1 | python3 -c "import json,sys; print(json.load(sys.stdin)['fit_seconds'])")
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    iterations=$(grep -o '"iterations":"[0-9]*"' "$out/model-$ngrams.tym" | grep -o '[0-9]*')
    "$bin" evaluate --model "$out/model-$ngrams.tym" --data "$out/test.csv" --json \
      | python3 -c "import json,sys; m=json.load(sys.stdin)['metrics']; print(json.dumps({'lib': '$name', 'train_seconds': $fit, 'process_seconds': $seconds, 'iterations': $iterations, 'accuracy': m['accuracy'], 'auc': m['auc']}))" \
      | tee -a "$results"
  done
  bench/.venv/bin/python bench/text/sklearn_text.py --train "$out/train.csv" --test "$out/test.csv" --ngram-max 1 | tee -a "$results"
  bench/.venv/bin/python bench/text/sklearn_text.py --train "$out/train.csv" --test "$out/test.csv" --ngram-max 2 --sublinear | tee -a "$results"
done

# One review at a time through a replica (keep-alive, 500 requests after 50 warm-up).
port=57990
"$bin" serve --model-file "$out/model-1-2.tym" --listen "127.0.0.1:$port" --log none >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break; sleep 0.1; done
python3 - "$port" "$out/test.csv" >>"$results" <<'PY'
import csv, http.client, json, statistics, sys, time
review = next(csv.DictReader(open(sys.argv[2])))["review"]
body = json.dumps({"review": review})
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
latencies = []
for i in range(550):
    t = time.perf_counter()
    connection.request("POST", "/predict", body, {"Content-Type": "application/json"})
    response = connection.getresponse(); response.read()
    assert response.status == 200, response.status
    if i >= 50: latencies.append(time.perf_counter() - t)
latencies.sort()
print(json.dumps({"lib": "trainyard replica", "predict_one_ms": 1000 * statistics.median(latencies),
                  "predict_one_p99_ms": 1000 * latencies[int(0.99 * len(latencies))]}))
PY

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def of(lib): return [r for r in rows if r["lib"] == lib]
def med(lib, key): return statistics.median(r[key] for r in of(lib))
for ours, theirs in [("trainyard 1", "scikit-learn 1-1"), ("trainyard 1-2", "scikit-learn 1-2"), ("trainyard 1-2 --tol 1e-5", "scikit-learn 1-2")]:
    a_o, a_s = med(ours, "accuracy"), med(theirs, "accuracy")
    u_o, u_s = med(ours, "auc"), med(theirs, "auc")
    t_o, t_s = med(ours, "train_seconds"), med(theirs, "train_seconds")
    print(f"{ours:25} accuracy {a_o:.4f} auc {u_o:.4f} fit {t_o:.3f} s ({med(ours, 'iterations'):.0f} L-BFGS iterations,"
          f" whole process {med(ours, 'process_seconds'):.2f} s) | {theirs:16} accuracy {a_s:.4f} auc {u_s:.4f}"
          f" vectorize+fit {t_s:.3f} s ({med(theirs, 'iterations'):.0f} iterations) | accuracy {a_o - a_s:+.4f} auc {u_o - u_s:+.4f}"
          f" time ratio {t_o / t_s:.2f}")
replica = of("trainyard replica")[0]
print(f"one review: trainyard replica over HTTP median {replica['predict_one_ms']:.3f} ms (p99 {replica['predict_one_p99_ms']:.3f} ms);"
      f" scikit-learn in-process predict median {med('scikit-learn 1-2', 'predict_one_ms'):.3f} ms")
print("targets (1-2): accuracy and auc within -0.005 or better, time ratio <= 0.5")
PY
rm -f "$results"
