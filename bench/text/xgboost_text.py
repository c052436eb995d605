"""XGBoost (hist) on the bench's review files, on the features trainyard's trees see: word 1-2-grams hashed
into 1,024 buckets (trainyard's tree default for this vocabulary), sublinear tf, smoothed IDF, L2 rows
(scikit-learn's HashingVectorizer + TfidfTransformer; the hash function differs, the shape does not).
Trained from the CSR matrix (XGBoost's sparse path: absent entries are missing) or the same matrix dense,
timed from the loaded strings to the trained booster (vectorize + DMatrix + train). Prints one JSON line."""
import argparse, json, time

import pandas as pd
import xgboost as xgb
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.metrics import accuracy_score, roc_auc_score

parser = argparse.ArgumentParser()
parser.add_argument("--train", required=True)
parser.add_argument("--test", required=True)
parser.add_argument("--layout", choices=["sparse", "dense"], required=True)
parser.add_argument("--buckets", type=int, default=1024)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

train, test = pd.read_csv(args.train), pd.read_csv(args.test)
y = (train.sentiment == "positive").astype(int).values
y_test = (test.sentiment == "positive").astype(int).values
start = time.perf_counter()
hashing = HashingVectorizer(ngram_range=(1, 2), n_features=args.buckets, alternate_sign=False, norm=None)
tfidf = TfidfTransformer(sublinear_tf=True)
x = tfidf.fit_transform(hashing.transform(train.review))
matrix = xgb.DMatrix(x if args.layout == "sparse" else x.toarray(), label=y)
booster = xgb.train({"tree_method": "hist", "max_depth": 6, "eta": 0.3, "max_bin": 256, "nthread": args.threads,
                     "objective": "binary:logistic"}, matrix, 100)
seconds = time.perf_counter() - start
x_test = tfidf.transform(hashing.transform(test.review))
p = booster.predict(xgb.DMatrix(x_test if args.layout == "sparse" else x_test.toarray()))
print(json.dumps({"lib": f"xgboost {args.layout}", "train_seconds": seconds, "accuracy": accuracy_score(y_test, p > 0.5),
                  "auc": roc_auc_score(y_test, p), "nnz_per_row": x.nnz / x.shape[0]}))
