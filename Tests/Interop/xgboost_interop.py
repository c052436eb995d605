#!/usr/bin/env python3
"""XGBoost side of the interop tests.

  xgboost_interop.py predict --model M.json --data D.csv --out P.csv
      loads a booster (e.g. exported by trainyard) and writes its predictions, one row per
      line, comma-separated per class.
  xgboost_interop.py train --objective OBJ --data D.csv --out M.json --pred P.csv [--rounds N]
      trains XGBoost (hist) on D.csv (label column `label`, empty fields missing) and writes
      the model and its own predictions.
"""
import argparse

import numpy as np
import xgboost as xgb


def load(path):
    table = np.genfromtxt(path, delimiter=",", names=True, dtype=np.float64, missing_values="", filling_values=np.nan)
    names = [n for n in table.dtype.names if n != "label"]
    X = np.column_stack([table[n] for n in names]).astype(np.float32)
    return X, table["label"], names


def write(path, predictions):
    predictions = predictions.reshape(len(predictions), -1)
    np.savetxt(path, predictions, delimiter=",", fmt="%.9g")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["predict", "train"])
    parser.add_argument("--model", required=False)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--pred")
    parser.add_argument("--objective", default="binary:logistic")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    X, y, names = load(args.data)
    if args.command == "predict":
        booster = xgb.Booster(model_file=args.model)
        # Named as the CSV's columns: XGBoost checks them against the booster's feature_names (when it has them).
        write(args.out, booster.predict(xgb.DMatrix(X, missing=np.nan, feature_names=names)))
        if args.pred:
            with open(args.pred, "w") as out:
                out.write(",".join(booster.feature_names or []) + "\n" + ",".join(booster.feature_types or []) + "\n")
    else:
        params = {"objective": args.objective, "tree_method": "hist", "max_depth": 4, "eta": 0.3, "seed": 1}
        if args.objective == "multi:softprob":
            params["num_class"] = int(np.nanmax(y)) + 1
        dtrain = xgb.DMatrix(X, label=y, missing=np.nan, feature_names=names)
        booster = xgb.train(params, dtrain, num_boost_round=args.rounds)
        booster.save_model(args.out)
        write(args.pred, booster.predict(dtrain))


if __name__ == "__main__":
    main()
