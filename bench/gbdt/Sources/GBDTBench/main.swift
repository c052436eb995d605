// GBDT benchmark, our side: the same data, parameters and measurements as bench/gbdt/anchors.py.
// Loads raw f32 files written by bench/gbdt/make_data.py (first 1,000,000 rows train, last
// 100,000 test), times "in-memory matrix → trained model" (binning included), then test AUC,
// batch prediction rows/s (median of 5) and peak RSS. Prints one JSON line.
import BenchSupport
import Foundation
import TrainyardML

func rssMiB(peak: Bool) -> Double {
    if peak {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}

let data = BenchmarkData(directory: benchmarkOption("--data-dir", "bench/out"))
let train = data.train, test = data.test, trainLabels = data.trainLabels, testLabels = data.testLabels

var parameters = GBDTParameters()
parameters.objective = .binaryLogistic
parameters.trees = Int(benchmarkOption("--trees", "100"))!
parameters.maxDepth = Int(benchmarkOption("--depth", "6"))!
parameters.eta = Double(benchmarkOption("--eta", "0.1"))!
parameters.maxBin = Int(benchmarkOption("--bins", "256"))!
parameters.lambda = Double(benchmarkOption("--lambda", "1"))!
parameters.threads = Int(benchmarkOption("--threads", "2"))!
parameters.baseScore = 0.5

let rssBefore = rssMiB(peak: false)
let start = ContinuousClock.now
let model = try GBDTTrainer(parameters: parameters).train(train, labels: trainLabels).model
let trainSeconds = (ContinuousClock.now - start) / .seconds(1)

let auc = Metrics.auc(labels: testLabels, scores: model.predict(test, threads: parameters.threads)) ?? 0
var predictTimes: [Double] = []
for _ in 0..<5 {
    let t = ContinuousClock.now
    _ = model.predict(test, threads: parameters.threads)
    predictTimes.append((ContinuousClock.now - t) / .seconds(1))
}
let medianPredict = predictTimes.sorted()[2]
print(String(format: #"{"lib": "trainyard", "train_seconds": %.3f, "auc": %.6f, "predict_rows_per_s": %.0f, "peak_rss_mib": %.1f, "rss_before_train_mib": %.1f}"#,
             trainSeconds, auc, Double(test.rows) / medianPredict, rssMiB(peak: true), rssBefore))
