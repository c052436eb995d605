// Logistic regression benchmark, our side: L2-regularised logistic regression (λ = 1, i.e.
// scikit-learn's C = 1) by L-BFGS on the 1M training rows of bench/out. Prints the time,
// the minimised objective Σ logloss + ½‖w‖², the test AUC and the iterations as one JSON line.
import Foundation
import TrainyardML

let arguments = CommandLine.arguments
let dataDir = arguments.firstIndex(of: "--data-dir").map { arguments[$0 + 1] } ?? "bench/out"
let threads = arguments.firstIndex(of: "--threads").flatMap { Int(arguments[$0 + 1]) } ?? 2
let features = 28, trainRows = 1_000_000

func readFloats(_ path: String) -> [Float] {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("cannot read \(path): run bench/setup.sh first\n".utf8))
        exit(2)
    }
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

let all = readFloats("\(dataDir)/cls_1.1m.features.f32")
let labels = readFloats("\(dataDir)/cls_1.1m.labels.f32")
let train = DenseMatrix(rows: trainRows, columns: features, values: Array(all[0..<trainRows * features]))
let test = DenseMatrix(rows: labels.count - trainRows, columns: features, values: Array(all[(trainRows * features)...]))
var parameters = LinearParameters()
parameters.lambda = 1
parameters.threads = threads
parameters.tolerance = 1e-6
let start = ContinuousClock.now
let result = try LinearTrainer(parameters: parameters).train(train, labels: Array(labels[0..<trainRows]))
let seconds = (ContinuousClock.now - start) / .seconds(1)
let auc = Metrics.auc(labels: Array(labels[trainRows...]), scores: result.model.predict(test)) ?? 0
print(String(format: #"{"lib": "trainyard", "train_seconds": %.3f, "objective": %.6f, "auc": %.6f, "iterations": %d}"#,
             seconds, result.objectiveValue, auc, result.iterations))
