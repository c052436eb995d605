#!/usr/bin/env python3
"""Generate the GBDT benchmark dataset (binary classification, 1.1M x 28).

Outputs (in --outdir, default bench/out next to this script's parent):
  cls_1.1m.features.f32  raw little-endian float32, row-major, 1,100,000 x 28, no header
  cls_1.1m.labels.f32    raw little-endian float32 labels (0.0 / 1.0), 1,100,000 values
  cls_1.1m.csv           same data as CSV, header f0..f27,label, floats as '%.9g'
                         (9 significant digits round-trips float32 exactly)

Convention used by the benchmarks: first 1,000,000 rows = train, last 100,000 = test.
Existing files are kept unless --force is given.
"""
import argparse
import os
import sys
import time

import numpy as np
from sklearn.datasets import make_classification

N_SAMPLES = 1_100_000
N_FEATURES = 28
BASE = "cls_1.1m"
DEFAULT_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out"))


def generate():
    X, y = make_classification(
        n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=18, n_redundant=4,
        flip_y=0.05, class_sep=0.8, random_state=7,
    )
    X = np.ascontiguousarray(X, dtype="<f4")
    y = np.ascontiguousarray(y, dtype="<f4")
    return X, y


def write_atomic_bytes(path, arr):
    tmp = path + ".tmp"
    arr.tofile(tmp)
    os.replace(tmp, path)


def write_csv(path, X, y, chunk=100_000):
    tmp = path + ".tmp"
    header = ",".join([f"f{i}" for i in range(X.shape[1])] + ["label"])
    with open(tmp, "w", newline="\n") as fh:
        fh.write(header + "\n")
        fmt = ",".join(["%.9g"] * X.shape[1]) + ",%d"
        for start in range(0, X.shape[0], chunk):
            stop = min(start + chunk, X.shape[0])
            # float32 -> float64 is exact, so '%.9g' prints the float32 value faithfully.
            block = np.column_stack([X[start:stop].astype(np.float64), y[start:stop].astype(np.float64)])
            np.savetxt(fh, block, fmt=fmt, delimiter=",")
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outdir", default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true", help="regenerate even if files exist")
    ap.add_argument("--no-csv", action="store_true", help="skip writing the CSV file")
    args = ap.parse_args(argv)

    os.makedirs(args.outdir, exist_ok=True)
    fpath = os.path.join(args.outdir, BASE + ".features.f32")
    lpath = os.path.join(args.outdir, BASE + ".labels.f32")
    cpath = os.path.join(args.outdir, BASE + ".csv")
    wanted = [fpath, lpath] + ([] if args.no_csv else [cpath])

    if not args.force and all(os.path.exists(p) for p in wanted):
        print(f"make_data: files exist in {args.outdir}, skipping (use --force to regenerate)")
        return 0

    t0 = time.perf_counter()
    X, y = generate()
    print(f"make_data: generated {X.shape} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    if args.force or not os.path.exists(fpath):
        write_atomic_bytes(fpath, X)
    if args.force or not os.path.exists(lpath):
        write_atomic_bytes(lpath, y)
    if not args.no_csv and (args.force or not os.path.exists(cpath)):
        t1 = time.perf_counter()
        write_csv(cpath, X, y)
        print(f"make_data: wrote CSV in {time.perf_counter() - t1:.1f}s", file=sys.stderr)
    for p in wanted:
        print(f"{p}\t{os.path.getsize(p)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
