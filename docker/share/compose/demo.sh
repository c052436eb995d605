#!/bin/sh
# One-shot (compose service `demo`): generated churn and movie-review data uploaded as registry datasets, and
# the two pipelines that turn them into served models applied on the coordinator. The coordinator then runs
# them on its own: quality gate, training on the workers, evaluation gate, register, approve, promote; the
# replicas follow `production`. Running it again uploads the same content (the same versions) and changes nothing.
set -eu
share=/usr/local/share/trainyard/compose
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trainyard pipeline apply "$share/churn.pipeline.yaml" --coordinator tcp://coordinator:5555
trainyard pipeline apply "$share/sentiment.pipeline.yaml" --coordinator tcp://coordinator:5555
trainyard data synth --rows 20000 --seed 42 --out "$work/churn.csv"
trainyard data synth --kind reviews --rows 8000 --seed 42 --out "$work/reviews.csv"
trainyard datasets upload "$work/churn.csv" --name churn --registry http://registry:8080
trainyard datasets upload "$work/reviews.csv" --name reviews --registry http://registry:8080
echo "datasets uploaded: the coordinator's pipelines train, gate and promote churn and sentiment"
echo "follow them: docker compose exec coordinator trainyard pipeline list"
