import Foundation

/// Evaluation metrics with XGBoost's definitions. Inputs are predictions in prediction
/// space (probabilities for classification), row-major `rows × classes` for multiclass.
public enum Metrics {
    /// Area under the ROC curve; tied scores count one half. `nil` if one class is absent.
    public static func auc(labels: [Float], scores: [Float]) -> Double? {
        precondition(labels.count == scores.count)
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var positives = 0.0, negatives = 0.0
        for y in labels { if y > 0.5 { positives += 1 } else { negatives += 1 } }
        guard positives > 0, negatives > 0 else { return nil }
        // Rank-sum (Mann–Whitney U) with average ranks for ties.
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] > 0.5 { rankSum += averageRank }
            i = j + 1
        }
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Mean binary cross-entropy, probabilities clipped to [1e-16, 1 − 1e-16].
    public static func logLoss(labels: [Float], probabilities: [Float]) -> Double {
        var sum = 0.0
        for (y, p) in zip(labels, probabilities) {
            let q = min(max(Double(p), 1e-16), 1 - 1e-16)
            sum -= Double(y) * log(q) + (1 - Double(y)) * log(1 - q)
        }
        return sum / Double(max(labels.count, 1))
    }

    /// Fraction of rows whose probability falls on the label's side of 0.5.
    public static func accuracy(labels: [Float], probabilities: [Float]) -> Double {
        var correct = 0
        for (y, p) in zip(labels, probabilities) where (p > 0.5) == (y > 0.5) { correct += 1 }
        return Double(correct) / Double(max(labels.count, 1))
    }

    public static func rmse(labels: [Float], predictions: [Float]) -> Double {
        var sum = 0.0
        for (y, p) in zip(labels, predictions) { sum += (Double(p) - Double(y)) * (Double(p) - Double(y)) }
        return (sum / Double(max(labels.count, 1))).squareRoot()
    }

    public static func mae(labels: [Float], predictions: [Float]) -> Double {
        var sum = 0.0
        for (y, p) in zip(labels, predictions) { sum += abs(Double(p) - Double(y)) }
        return sum / Double(max(labels.count, 1))
    }

    /// Multiclass cross-entropy: mean of −log p(true class), clipped at 1e-16.
    public static func multiLogLoss(labels: [Float], probabilities: [Float], classes: Int) -> Double {
        var sum = 0.0
        for (row, y) in labels.enumerated() {
            sum -= log(max(Double(probabilities[row * classes + Int(y)]), 1e-16))
        }
        return sum / Double(max(labels.count, 1))
    }

    /// Fraction of rows whose most probable class is the label (first class wins ties).
    public static func multiAccuracy(labels: [Float], probabilities: [Float], classes: Int) -> Double {
        var correct = 0
        for (row, y) in labels.enumerated() {
            var best = 0
            for k in 1..<classes where probabilities[row * classes + k] > probabilities[row * classes + best] { best = k }
            if best == Int(y) { correct += 1 }
        }
        return Double(correct) / Double(max(labels.count, 1))
    }

    /// The objective's default evaluation metric (XGBoost's): name and value, lower is better.
    public static func defaultMetric(for objective: Objective, labels: [Float], predictions: [Float]) -> (name: String, value: Double) {
        switch objective {
        case .binaryLogistic: ("logloss", logLoss(labels: labels, probabilities: predictions))
        case .squaredError: ("rmse", rmse(labels: labels, predictions: predictions))
        case .softprob(let k): ("mlogloss", multiLogLoss(labels: labels, probabilities: predictions, classes: k))
        }
    }

    /// The name of the objective's default evaluation metric (``defaultMetric(for:labels:predictions:)``).
    public static func defaultName(for objective: Objective) -> String {
        switch objective {
        case .binaryLogistic: "logloss"
        case .squaredError: "rmse"
        case .softprob: "mlogloss"
        }
    }

    /// The names of the metrics ``all(for:labels:predictions:)`` reports for `objective`.
    public static func names(for objective: Objective) -> [String] {
        switch objective {
        case .binaryLogistic: ["auc", "logloss", "accuracy"]
        case .squaredError: ["rmse", "mae"]
        case .softprob: ["mlogloss", "accuracy"]
        }
    }

    /// Metric `name` alone (one of ``names(for:)``), without computing the others; `nil` for a name the objective does not report.
    public static func value(_ name: String, for objective: Objective, labels: [Float], predictions: [Float]) -> Double? {
        switch (objective, name) {
        case (.binaryLogistic, "logloss"): logLoss(labels: labels, probabilities: predictions)
        case (.binaryLogistic, "accuracy"): accuracy(labels: labels, probabilities: predictions)
        case (.binaryLogistic, "auc"): auc(labels: labels, scores: predictions)
        case (.squaredError, "rmse"): rmse(labels: labels, predictions: predictions)
        case (.squaredError, "mae"): mae(labels: labels, predictions: predictions)
        case (.softprob(let k), "mlogloss"): multiLogLoss(labels: labels, probabilities: predictions, classes: k)
        case (.softprob(let k), "accuracy"): multiAccuracy(labels: labels, probabilities: predictions, classes: k)
        default: nil
        }
    }

    /// Whether larger values of metric `name` are better (auc, accuracy) rather than smaller (losses, errors).
    public static func higherIsBetter(_ name: String) -> Bool { name == "auc" || name == "accuracy" }

    /// Every metric name any objective reports.
    public static let allNames: Set<String> = Set([Objective.binaryLogistic, .squaredError, .softprob(numClass: 2)].flatMap(names(for:)))

    /// Every metric that applies to the objective, by name (AUC absent when the labels hold one class).
    public static func all(for objective: Objective, labels: [Float], predictions: [Float]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: names(for: objective).compactMap { name in
            value(name, for: objective, labels: labels, predictions: predictions).map { (name, $0) }
        })
    }
}
