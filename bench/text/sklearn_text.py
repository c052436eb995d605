"""scikit-learn's text pipeline on the bench's review files: TfidfVectorizer + LogisticRegression (C = 1,
lbfgs), timed from the loaded strings to the fitted model (vectorize + fit), then scored on the test file,
and the in-process latency of predicting one review. Prints one JSON line."""
import argparse, json, statistics, time

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score

parser = argparse.ArgumentParser()
parser.add_argument("--train", required=True)
parser.add_argument("--test", required=True)
parser.add_argument("--ngram-max", type=int, default=2)
parser.add_argument("--sublinear", action="store_true")
args = parser.parse_args()

train, test = pd.read_csv(args.train), pd.read_csv(args.test)
y = (train.sentiment == "positive").astype(int).values
y_test = (test.sentiment == "positive").astype(int).values
start = time.perf_counter()
vectorizer = TfidfVectorizer(ngram_range=(1, args.ngram_max), sublinear_tf=args.sublinear)
x = vectorizer.fit_transform(train.review)
model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
seconds = time.perf_counter() - start
p = model.predict_proba(vectorizer.transform(test.review))[:, 1]
one = test.review.iloc[:1]
latencies = []
for _ in range(200):
    t = time.perf_counter()
    model.predict_proba(vectorizer.transform(one))
    latencies.append(time.perf_counter() - t)
print(json.dumps({"lib": f"scikit-learn 1-{args.ngram_max}", "train_seconds": seconds,
                  "accuracy": accuracy_score(y_test, p > 0.5), "auc": roc_auc_score(y_test, p),
                  "vocabulary": len(vectorizer.vocabulary_), "iterations": int(model.n_iter_[0]), "predict_one_ms": 1000 * statistics.median(latencies)}))
