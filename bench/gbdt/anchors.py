#!/usr/bin/env python3
"""Reference ("anchor") GBDT numbers from XGBoost / LightGBM on the bench dataset.

Usage:
  anchors.py --lib xgboost|lightgbm --data-dir bench/out --threads 2 --trees 100 \
             --depth 6 --eta 0.1 --bins 256 --lambda 1

Data: <data-dir>/cls_1.1m.features.f32 (1.1M x 28 LE float32, row-major) and
      <data-dir>/cls_1.1m.labels.f32, written by make_data.py.
      Rows [0, 1_000_000) train, rows [1_000_000, 1_100_000) test.

Measured:
  train_seconds       time.perf_counter() from the in-memory float32 matrix to a
                      trained model: library dataset construction (XGBoost
                      QuantileDMatrix/DMatrix incl. quantile sketch; LightGBM
                      Dataset incl. binning) + training.
  auc                 sklearn roc_auc_score on the 100k test rows.
  predict_rows_per_s  100_000 / median wall time of 5 batch predictions of the
                      test rows (probabilities).
  peak_rss_mib        ru_maxrss / 1024 (Linux: KiB -> MiB), read right after training.
  rss_before_train_mib  current RSS (VmRSS) right before training starts, i.e. with
                      the 1.1M x 28 float32 matrix (~118 MiB) + labels loaded and
                      the library imported. peak - this ~= training overhead.
Prints ONE JSON line on stdout (extra informational keys follow the required ones).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

N_ROWS = 1_100_000
N_FEATURES = 28
N_TRAIN = 1_000_000
BASE = "cls_1.1m"


def current_rss_mib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def load(data_dir):
    fpath = os.path.join(data_dir, BASE + ".features.f32")
    lpath = os.path.join(data_dir, BASE + ".labels.f32")
    # Read fully into anonymous memory (not a lazy memmap) so that the data is
    # resident *before* training and rss_before_train_mib accounts for it.
    X = np.fromfile(fpath, dtype="<f4")
    y = np.fromfile(lpath, dtype="<f4")
    if X.size != N_ROWS * N_FEATURES or y.size != N_ROWS:
        sys.exit(f"anchors: unexpected sizes {X.size} / {y.size}; regenerate with make_data.py")
    X = X.reshape(N_ROWS, N_FEATURES)
    # Row slices of a C-contiguous array are themselves C-contiguous views (no copy).
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def time_predict(fn, repeats=5):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_xgboost(args, Xtr, ytr, Xte, yte):
    import xgboost as xgb

    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": args.depth,
        "eta": args.eta,
        "max_bin": args.bins,          # XGBoost: max number of histogram bins per feature
        "lambda": args.reg_lambda,     # L2 on leaf weights (reg_lambda)
        "nthread": args.threads,
        # XGBoost >= 2.0 estimates base_score from the labels when it is not given;
        # pin it to 0.5 (margin 0) so runs are comparable with LightGBM's
        # boost_from_average=False below and with our own implementation.
        "base_score": 0.5,
        # Defaults, spelled out: min_child_weight=1 (min hessian sum per child),
        # gamma=0, alpha=0, subsample=1, colsample_*=1, grow_policy=depthwise.
        "min_child_weight": 1.0,
        "gamma": 0.0,
        "verbosity": 0,
    }
    rss_before = current_rss_mib()
    peak_before = peak_rss_mib()
    t0 = time.perf_counter()
    if args.xgb_matrix == "quantile":
        # QuantileDMatrix: sketches + bins directly from numpy, no float copy kept.
        dtrain = xgb.QuantileDMatrix(Xtr, label=ytr, max_bin=args.bins, nthread=args.threads)
    else:
        dtrain = xgb.DMatrix(Xtr, label=ytr, nthread=args.threads)
    booster = xgb.train(params, dtrain, num_boost_round=args.trees)
    train_s = time.perf_counter() - t0
    peak = peak_rss_mib()

    # inplace_predict on the numpy array: XGBoost's fastest path for dense in-memory data.
    booster.set_param({"nthread": args.threads})
    pred = booster.inplace_predict(Xte)
    auc = roc_auc_score(yte, pred)
    pred_s = time_predict(lambda: booster.inplace_predict(Xte))
    extra = {"matrix": "QuantileDMatrix" if args.xgb_matrix == "quantile" else "DMatrix",
             "base_score": 0.5, "max_bin": args.bins,
             "num_trees": booster.num_boosted_rounds()}
    return xgb.__version__, train_s, auc, pred_s, peak, rss_before, peak_before, extra


def run_lightgbm(args, Xtr, ytr, Xte, yte):
    import lightgbm as lgb

    # LightGBM's max_bin: 255 is its default and the largest value whose bin
    # indices fit in uint8 (its fast path); larger values are accepted but switch
    # to 16-bit bins. XGBoost's --bins 256 is therefore mapped to 255 here.
    lgb_bins = min(args.bins, 255) if not args.lgb_wide_bins else args.bins
    num_leaves = args.num_leaves if args.num_leaves else 2 ** args.depth
    params = {
        "objective": "binary",
        # Leaf-wise growth capped both by depth and leaf count. A full depth-d binary
        # tree has 2**d leaves (64 for d=6; 2**d - 1 = 63 is its count of *internal*
        # nodes), so num_leaves = 2**depth lets a tree be as large as an XGBoost
        # depthwise tree of the same depth. Override with --num-leaves.
        "max_depth": args.depth,
        "num_leaves": num_leaves,
        "learning_rate": args.eta,
        "max_bin": lgb_bins,
        "lambda_l2": args.reg_lambda,
        "lambda_l1": 0.0,
        "num_threads": args.threads,
        # Match XGBoost's min_child_weight=1 (hessian sum) and drop LightGBM's
        # default min_data_in_leaf=20 row-count limit, which XGBoost has no analogue of.
        "min_sum_hessian_in_leaf": 1.0,
        "min_data_in_leaf": 0,
        "min_gain_to_split": 0.0,
        # Start from margin 0 (probability 0.5), like XGBoost with base_score=0.5.
        "boost_from_average": False,
        # No bagging / feature subsampling (defaults, spelled out).
        "bagging_fraction": 1.0,
        "feature_fraction": 1.0,
        "deterministic": True,
        "verbose": -1,
    }
    rss_before = current_rss_mib()
    peak_before = peak_rss_mib()
    t0 = time.perf_counter()
    dtrain = lgb.Dataset(Xtr, label=ytr, params={"max_bin": lgb_bins, "verbose": -1})
    booster = lgb.train(params, dtrain, num_boost_round=args.trees)
    train_s = time.perf_counter() - t0
    peak = peak_rss_mib()

    pred = booster.predict(Xte, num_threads=args.threads)
    auc = roc_auc_score(yte, pred)
    pred_s = time_predict(lambda: booster.predict(Xte, num_threads=args.threads))
    extra = {"max_bin": lgb_bins, "num_leaves": num_leaves, "boost_from_average": False,
             "num_trees": booster.num_trees()}
    return lgb.__version__, train_s, auc, pred_s, peak, rss_before, peak_before, extra


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True, choices=["xgboost", "lightgbm"])
    ap.add_argument("--data-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--eta", type=float, default=0.1)
    ap.add_argument("--bins", type=int, default=256)
    ap.add_argument("--lambda", dest="reg_lambda", type=float, default=1.0)
    ap.add_argument("--xgb-matrix", choices=["quantile", "dmatrix"], default="quantile",
                    help="XGBoost training matrix type (default QuantileDMatrix)")
    ap.add_argument("--num-leaves", type=int, default=0, help="LightGBM num_leaves (default 2**depth)")
    ap.add_argument("--lgb-wide-bins", action="store_true", help="pass --bins > 255 to LightGBM unchanged")
    args = ap.parse_args(argv)

    Xtr, ytr, Xte, yte = load(args.data_dir)
    runner = run_xgboost if args.lib == "xgboost" else run_lightgbm
    version, train_s, auc, pred_s, peak, rss_before, peak_before, extra = runner(args, Xtr, ytr, Xte, yte)

    out = {
        "lib": args.lib,
        "version": version,
        "train_seconds": round(train_s, 3),
        "auc": round(float(auc), 6),
        "predict_rows_per_s": round(Xte.shape[0] / pred_s, 1),
        "peak_rss_mib": round(peak, 1),
        "rss_before_train_mib": round(rss_before, 1),
        # informational
        "peak_rss_before_train_mib": round(peak_before, 1),
        "predict_seconds_median": round(pred_s, 4),
        "threads": args.threads, "trees": args.trees, "depth": args.depth,
        "eta": args.eta, "lambda": args.reg_lambda,
    }
    out.update(extra)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
