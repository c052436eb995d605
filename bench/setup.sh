#!/usr/bin/env bash
# Creates bench/.venv with the anchors (XGBoost, LightGBM, scikit-learn, pandas) and the
# 1.1M-row benchmark dataset in bench/out. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bench/.venv/bin/python -c 'import xgboost, lightgbm, sklearn, pandas' 2>/dev/null; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet numpy scikit-learn xgboost-cpu lightgbm pandas
fi
bench/.venv/bin/python bench/gbdt/make_data.py --outdir bench/out
