"""Logistic regression benchmark, anchor side: scikit-learn LogisticRegression(solver="lbfgs",
C=1) on the same 1M training rows; prints time, the objective Σ logloss + ½‖w‖² (the
quantity both minimise), test AUC and iterations as one JSON line."""
import json
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

data_dir = sys.argv[sys.argv.index("--data-dir") + 1] if "--data-dir" in sys.argv else "bench/out"
threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "2"
os.environ.setdefault("OMP_NUM_THREADS", threads)
X = np.fromfile(os.path.join(data_dir, "cls_1.1m.features.f32"), dtype="<f4").reshape(-1, 28)
y = np.fromfile(os.path.join(data_dir, "cls_1.1m.labels.f32"), dtype="<f4")
Xtr, ytr, Xte, yte = X[:1_000_000].astype(np.float64), y[:1_000_000], X[1_000_000:], y[1_000_000:]
start = time.perf_counter()
model = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000, tol=1e-6).fit(Xtr, ytr)
seconds = time.perf_counter() - start
margin = Xtr @ model.coef_[0] + model.intercept_[0]
loss = np.sum(np.logaddexp(0, margin) - ytr * margin) + 0.5 * np.dot(model.coef_[0], model.coef_[0])
print(json.dumps({"lib": f"scikit-learn {sklearn.__version__}", "train_seconds": round(seconds, 3), "objective": float(loss),
                  "auc": float(roc_auc_score(yte, model.predict_proba(Xte)[:, 1])), "iterations": int(model.n_iter_[0])}))
