"""XGBoost batch scoring end to end, as a Python batch job does it: pandas read_csv, the model's
encoding (vectorized: bench/serving/helpers.py encode_frame), DMatrix, predict (2 threads), and the
output CSV written with pandas (the kept columns, probability, class). The model is trainyard's,
exported to XGBoost JSON, so both score with the same trees. Prints one JSON line with the seconds."""
import argparse, json, os, sys, time

import numpy as np
import pandas as pd
import xgboost as xgb

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "serving"))
from helpers import encode_frame, read_model  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)        # trainyard model file (for its preprocessing)
parser.add_argument("--xgb", required=True)          # the same model exported to XGBoost JSON
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--keep", default="")
args = parser.parse_args()

model = read_model(args.model)
classes = model["label"]["classes"]
booster = xgb.Booster(model_file=args.xgb)
booster.set_param({"nthread": 2})
keep = [c for c in args.keep.split(",") if c]
start = time.perf_counter()
frame = pd.read_csv(args.data, dtype=str, keep_default_na=False)
matrix = encode_frame(model["preprocessor"], frame)
p = booster.predict(xgb.DMatrix(matrix, missing=np.nan, feature_names=booster.feature_names, nthread=2))
out = frame[keep].copy() if keep else pd.DataFrame(index=frame.index)
out["probability"] = p
out["class"] = np.where(p > 0.5, classes[1], classes[0])
out.to_csv(args.out, index=False)
print(json.dumps({"lib": "xgboost", "seconds": time.perf_counter() - start, "rows": len(frame)}))
