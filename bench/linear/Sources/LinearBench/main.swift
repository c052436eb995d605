// Logistic regression benchmark, our side: L2-regularised logistic regression (λ = 1, i.e.
// scikit-learn's C = 1) by L-BFGS on the 1M training rows of bench/out. Prints the time,
// the minimised objective Σ logloss + ½‖w‖², the test AUC and the iterations as one JSON line.
import BenchSupport
import TrainyardML

let data = BenchmarkData(directory: benchmarkOption("--data-dir", "bench/out"))
var parameters = LinearParameters()
parameters.lambda = 1
parameters.threads = Int(benchmarkOption("--threads", "2"))!
parameters.tolerance = 1e-6
let start = ContinuousClock.now
let result = try LinearTrainer(parameters: parameters).train(data.train, labels: data.trainLabels)
let seconds = (ContinuousClock.now - start) / .seconds(1)
let auc = Metrics.auc(labels: data.testLabels, scores: result.model.predict(data.test)) ?? 0
print(#"{"lib": "trainyard", "train_seconds": \#(seconds), "objective": \#(result.objectiveValue), "auc": \#(auc), "iterations": \#(result.iterations)}"#)
