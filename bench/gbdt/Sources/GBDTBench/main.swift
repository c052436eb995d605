// GBDT benchmark, our side: the same data, parameters and measurements as bench/gbdt/anchors.py.
// Loads raw f32 files written by bench/gbdt/make_data.py (first 1,000,000 rows train, last
// 100,000 test), times "in-memory matrix → trained model" (binning included), then test AUC,
// batch prediction rows/s (median of 5) and peak RSS. Prints one JSON line.
import Foundation
import TrainyardML

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: String) -> String {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    return arguments[i + 1]
}
let dataDir = option("--data-dir", "bench/out")
let features = 28, trainRows = 1_000_000, testRows = 100_000

func readFloats(_ path: String) -> [Float] {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("cannot read \(path): run bench/gbdt/make_data.py first\n".utf8))
        exit(2)
    }
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

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

let all = readFloats("\(dataDir)/cls_1.1m.features.f32")
let labels = readFloats("\(dataDir)/cls_1.1m.labels.f32")
let train = DenseMatrix(rows: trainRows, columns: features, values: Array(all[0..<trainRows * features]))
let test = DenseMatrix(rows: testRows, columns: features, values: Array(all[trainRows * features..<(trainRows + testRows) * features]))
let trainLabels = Array(labels[0..<trainRows]), testLabels = Array(labels[trainRows...])

var parameters = GBDTParameters()
parameters.objective = .binaryLogistic
parameters.trees = Int(option("--trees", "100"))!
parameters.maxDepth = Int(option("--depth", "6"))!
parameters.eta = Double(option("--eta", "0.1"))!
parameters.maxBin = Int(option("--bins", "256"))!
parameters.lambda = Double(option("--lambda", "1"))!
parameters.threads = Int(option("--threads", "2"))!
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
             trainSeconds, auc, Double(testRows) / medianPredict, rssMiB(peak: true), rssBefore))
