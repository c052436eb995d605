import Foundation
import TrainyardML

/// The rows a pipeline's training job held out of training, to score the candidate and the
/// model in production on the same rows: the job's stratified split of the dataset, redone
/// from the same labels, fraction and seed.
struct Holdout {
    let source: DatasetSource
    let rows: [Int]

    /// The holdout of `source` for `candidate`, trained with `validFraction` and split `seed`.
    init(source: DatasetSource, candidate: TrainyardModel, fraction: Double, seed: UInt64) throws {
        self.source = source
        let table = try source.read(options: candidate.labelledCSVOptions())
        guard let column = table[candidate.label.name] else {
            throw DatasetError.unknownColumn(file: "the dataset", name: candidate.label.name, available: table.names)
        }
        let labels = try candidate.label.encode(column)
        rows = TrainingPipeline.stratifiedSplit(labels: labels, fraction: fraction, seed: seed,
                                                stratify: candidate.objective != .squaredError).valid
    }

    /// `metric` of `model` on the holdout rows (read with the model's own column kinds), or
    /// `nil` when the objective does not report it (AUC on one class).
    func score(_ model: TrainyardModel, metric: String, label: String) throws -> Double? {
        let table = try source.read(options: model.labelledCSVOptions(label: label)).rows(rows)
        return try model.metrics(on: table, label: label)[metric]
    }
}
