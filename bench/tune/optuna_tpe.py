"""The anchor for `trainyard tune --strategy tpe`: Optuna's TPESampler (defaults, seeded) over the same search space,
each trial XGBoost `hist` (max_bin 256, binary:logistic, a fixed number of rounds) on the same training rows, scored by
AUC on the same validation rows. Categorical columns are one-hot encoded as trainyard does for trees (a missing
category: all indicators 0; numbers pass through, missing as NaN). Prints one JSON line per trial as it finishes and
a final `done` line, in the shape of `trainyard tune --json`."""
import argparse, json, sys, time

import numpy as np
import optuna
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

parser = argparse.ArgumentParser()
parser.add_argument("--train", required=True)
parser.add_argument("--valid", required=True)
parser.add_argument("--label", default="churned")
parser.add_argument("--positive", default="yes")
parser.add_argument("--trials", type=int, default=30)
parser.add_argument("--n-trees", type=int, default=100)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

process_start = time.perf_counter()
train, valid = pd.read_csv(args.train), pd.read_csv(args.valid)
y = (train.pop(args.label) == args.positive).astype(np.float32).values
y_valid = (valid.pop(args.label) == args.positive).astype(np.float32).values
categorical = [c for c in train.columns if train[c].dtype == object or isinstance(train[c].dtype, pd.StringDtype)]
x = pd.get_dummies(train, columns=categorical, dtype=np.float32)
x_valid = pd.get_dummies(valid, columns=categorical, dtype=np.float32).reindex(columns=x.columns, fill_value=0)
dtrain = xgb.QuantileDMatrix(x.astype(np.float32), label=y, max_bin=256)
dvalid = xgb.QuantileDMatrix(x_valid.astype(np.float32), label=y_valid, ref=dtrain)


def objective(trial):
    params = {
        "objective": "binary:logistic", "tree_method": "hist", "max_bin": 256, "nthread": args.threads,
        "seed": args.seed, "verbosity": 0,
        "eta": trial.suggest_float("eta", 0.01, 0.5, log=True),
        "max_depth": trial.suggest_int("max_depth", 2, 10),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
        "min_child_weight": trial.suggest_int("min_child_weight", 1, 64, log=True),
        "lambda": trial.suggest_float("lambda", 0.01, 10.0, log=True),
    }
    start = time.perf_counter()
    booster = xgb.train(params, dtrain, num_boost_round=args.n_trees)
    auc = roc_auc_score(y_valid, booster.predict(dvalid))
    trial.set_user_attr("seconds", time.perf_counter() - start)
    return auc


def report(study, trial):
    print(json.dumps({"event": "trial", "trial": trial.number, "state": trial.state.name.lower(), "value": trial.value,
                      "rounds": args.n_trees, "seconds": trial.user_attrs.get("seconds"),
                      "parameters": {k: str(v) for k, v in trial.params.items()}}), flush=True)


optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=args.seed))
start = time.perf_counter()
study.optimize(objective, n_trials=args.trials, callbacks=[report])
seconds = time.perf_counter() - start
print(json.dumps({"event": "done", "best_trial": study.best_trial.number, "best_value": study.best_value,
                  "parameters": {k: str(v) for k, v in study.best_params.items()}, "seconds": seconds,
                  "process_seconds": time.perf_counter() - process_start, "features": x.shape[1],
                  "optuna": optuna.__version__, "xgboost": xgb.__version__}), flush=True)
