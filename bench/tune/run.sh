#!/usr/bin/env bash
# `trainyard tune` against its anchors, in one run, on 100,000 generated churn rows (`trainyard data synth`, seed 7),
# written once as train.csv (the first 80,000) and valid.csv (the last 20,000) so that every study scores the same rows:
#  1. our TPE against Optuna's TPESampler(seed=s) (defaults), the same six-parameter XGBoost space, 30 trials of
#     100 rounds each, one trial at a time on both cores, for seeds 1..S. Optuna's trials train XGBoost `hist`
#     (max_bin 256, binary:logistic) on the same rows, one-hot encoded as trainyard encodes them (bench/tune/optuna_tpe.py).
#     Reports the median over seeds of the best validation AUC (target: ours ≥ Optuna's) and each side's wall time.
#  2. our ASHA against our random search: the same seed, space and sampler (so trial i has the same parameters in
#     both), 30 trials of up to 200 rounds, --grace 10, two trials at a time. Each study's JSON lines are timestamped
#     as they arrive (bench/tune/stamp.py); reports the time from the study's start until random search's best AUC
#     is first reached by a complete trial (ASHA's own best if it never gets there — said so), median over seeds
#     (target: ASHA ≤ ⅓ of random search's time), both best AUCs and how many trials ASHA pruned; Hyperband over ASHA
#     (three brackets from the same grace) alongside.
#   bench/tune/run.sh [seeds]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
seeds=${1:-3}
trials=30
bench/setup.sh >/dev/null
bench/.venv/bin/python -c 'import optuna' 2>/dev/null || bench/.venv/bin/pip install --quiet optuna
swift build -c release --product trainyard >/dev/null
bin="$(swift build -c release --show-bin-path)/trainyard"
out=bench/out/tune
mkdir -p "$out"
"$bin" data synth --rows 100000 --seed 7 --out "$out/churn_100k.csv" >/dev/null
{ head -1 "$out/churn_100k.csv"; sed -n '2,80001p' "$out/churn_100k.csv"; } >"$out/train.csv"
{ head -1 "$out/churn_100k.csv"; sed -n '80002,$p' "$out/churn_100k.csv"; } >"$out/valid.csv"
cat >"$out/space.yaml" <<'SPACE'
eta: {loguniform: [0.01, 0.5]}
max_depth: {int: [2, 10]}
subsample: {uniform: [0.5, 1.0]}
colsample_bytree: {uniform: [0.5, 1.0]}
min_child_weight: {int: [1, 64], log: true}
lambda: {loguniform: [0.01, 10]}
SPACE
tune=("$bin" tune --data "$out/train.csv" --valid "$out/valid.csv" --label churned --space "$out/space.yaml" --json)
results=$(mktemp)

# 1. TPE: ours and Optuna's, alternated per seed.
for seed in $(seq 1 "$seeds"); do
  python3 bench/tune/stamp.py "trainyard tpe" "$seed" -- "${tune[@]}" --strategy tpe --trials $trials --n-trees 100 \
    --parallel 1 --seed "$seed" >>"$results"
  python3 bench/tune/stamp.py "optuna tpe" "$seed" -- bench/.venv/bin/python bench/tune/optuna_tpe.py \
    --train "$out/train.csv" --valid "$out/valid.csv" --trials $trials --n-trees 100 --seed "$seed" --threads 2 >>"$results"
  grep '"event": "done"' "$results" | tail -2 | python3 -c 'import json, sys
for r in map(json.loads, sys.stdin): print("  %s, seed %d: best AUC %.5f, %.1f s" % (r["lib"], r["seed"], r["best_value"], r["seconds"]), file=sys.stderr)'
done
# 2. ASHA against random search, alternated per seed.
for seed in $(seq 1 "$seeds"); do
  for strategy in random asha hyperband; do
    python3 bench/tune/stamp.py "trainyard $strategy" "$seed" -- "${tune[@]}" --strategy $strategy --trials $trials \
      --n-trees 200 --grace 10 --parallel 2 --seed "$seed" >>"$results"
  done
done
cp "$results" "$out/results.jsonl"

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
med = statistics.median
def study(lib, seed):
    lines = [r for r in rows if r["lib"] == lib and r["seed"] == seed]
    done = next(r for r in lines if r["event"] == "done")
    # Time from the study's start (after the data is read: the done line's time minus its `seconds`).
    start = done["t"] - done["seconds"]
    trials = [dict(r, at=r["t"] - start) for r in lines if r["event"] == "trial"]
    return trials, done
def short(parameters):
    return " ".join(f"{k}={float(v):.3g}" for k, v in sorted(parameters.items()))
seeds = sorted({r["seed"] for r in rows})

print("1. TPE, 30 trials × 100 rounds, --parallel 1 (best validation AUC after N trials; study seconds):")
tpe = {lib: [] for lib in ("trainyard tpe", "optuna tpe")}
for seed in seeds:
    for lib in tpe:
        trials, done = study(lib, seed)
        values = [t["value"] for t in sorted(trials, key=lambda t: t["trial"]) if t["state"] == "complete"]
        tpe[lib].append({"best": done["best_value"], "best10": max(values[:10]), "best20": max(values[:20]),
                         "seconds": done["seconds"], "process": done["t"], "best_trial": done["best_trial"],
                         "trial_seconds": med(t["seconds"] for t in trials)})
        print(f"  seed {seed} {lib:14} best {done['best_value']:.5f} (after 10: {max(values[:10]):.5f}, 20: {max(values[:20]):.5f})"
              f" trial {done['best_trial']:2} {done['seconds']:5.1f} s  {short(done['parameters'])}")
ours, theirs = tpe["trainyard tpe"], tpe["optuna tpe"]
def m(side, key): return med(r[key] for r in side)
differences = ", ".join(f"{o['best'] - t['best']:+.5f}" for o, t in zip(ours, theirs))
print(f"  median best AUC: trainyard {m(ours, 'best'):.5f}, Optuna {m(theirs, 'best'):.5f}, difference {m(ours, 'best') - m(theirs, 'best'):+.5f}"
      f" (per seed {differences}; target >= 0)")
print(f"  median best after 10 (random startup) / 20 trials: trainyard {m(ours, 'best10'):.5f} / {m(ours, 'best20'):.5f},"
      f" Optuna {m(theirs, 'best10'):.5f} / {m(theirs, 'best20'):.5f}")
print(f"  median wall time: trainyard study {m(ours, 'seconds'):.1f} s (process {m(ours, 'process'):.1f} s, median trial {m(ours, 'trial_seconds'):.2f} s),"
      f" Optuna study {m(theirs, 'seconds'):.1f} s (process {m(theirs, 'process'):.1f} s, median trial {m(theirs, 'trial_seconds'):.2f} s),"
      f" ratio {m(ours, 'seconds') / m(theirs, 'seconds'):.2f}")

print("2. ASHA (--grace 10; Hyperband: ASHA over 3 brackets) vs random search, the same 30 sampled trials × up to 200 rounds,"
      " --parallel 2 (seconds from the study's start):")
def first(trials, value):
    return min((t["at"] for t in trials if t["state"] == "complete" and t["value"] >= value), default=None)
summary = {"asha": [], "hyperband": []}
for seed in seeds:
    random, random_done = study("trainyard random", seed)
    target = random_done["best_value"]
    t_random = first(random, target)
    print(f"  seed {seed}: random search best {target:.5f} (trial {random_done['best_trial']}) at {t_random:.1f} s of {random_done['seconds']:.1f} s")
    for strategy, runs in summary.items():
        trials, done = study(f"trainyard {strategy}", seed)
        t = first(trials, target)
        reached = t is not None
        if not reached:
            t = first(trials, done["best_value"])
        same = next(x for x in trials if x["trial"] == random_done["best_trial"])
        runs.append({"t_random": t_random, "t": t, "ratio": t / t_random, "random_seconds": random_done["seconds"],
                     "seconds": done["seconds"], "random_best": target, "best": done["best_value"], "pruned": done["pruned"],
                     "reached": reached, "trials": len(trials)})
        print(f"    {strategy:9} best {done['best_value']:.5f} (trial {done['best_trial']}), "
              + (f"reached random search's best at {t:.1f} s" if reached else
                 f"never reached random search's best (it stopped trial {same['trial']} at round {same['rounds']}, AUC there {same['value']:.5f}); its own best at {t:.1f} s")
              + f"; study {done['seconds']:.1f} s, {done['pruned']} of {len(trials)} pruned; time ratio {t / t_random:.2f}")
for strategy, runs in summary.items():
    def s(key): return med(r[key] for r in runs)
    print(f"  median {strategy}: time to random search's best (or its own best when it never gets there): random {s('t_random'):.1f} s,"
          f" {strategy} {s('t'):.1f} s, ratio {s('ratio'):.2f} (target for ASHA <= 0.33; reached in {sum(r['reached'] for r in runs)} of {len(runs)} seeds)")
    print(f"    whole study: random {s('random_seconds'):.1f} s, {strategy} {s('seconds'):.1f} s, ratio {s('seconds') / s('random_seconds'):.2f};"
          f" best AUC random {s('random_best'):.5f}, {strategy} {s('best'):.5f} ({s('best') - s('random_best'):+.5f}); pruned {s('pruned'):.0f} of {runs[0]['trials']}")
PY
rm -f "$results"
