import ArgumentParser
import Foundation
import TrainyardML

/// `trainyard train`: train a model on one machine and write a Trainyard model file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a gradient-boosted tree or linear model locally and save it."
    )

    @Option(help: "Training data (CSV with a header).") var data: String
    @Option(help: "Name of the label column.") var label: String
    @Option(help: "Validation data (CSV); default: none, or --valid-fraction.") var valid: String?
    @Option(help: "Hold out this fraction of the training rows for validation (stratified).") var validFraction: Double?
    @Option(help: "Model family: gbdt or linear.") var model: String = "gbdt"
    @Option(help: "binary:logistic, reg:squarederror or multi:softprob (default: inferred from the label).") var objective: String?
    @Option(help: "One-hot encode categorical columns with at most this many levels.") var maxOneHot = 16
    @Option(help: "Hashed TF-IDF features per text column (0 leaves text out).") var textBuckets = 256
    @Option(help: "Linear models: L-BFGS iteration limit.") var maxIter = 500
    @Option(help: "Where to write the model file.") var out: String
    @Flag(help: "Print progress and the result as JSON lines on standard output.") var json = false
    @OptionGroup var gbdt: GBDTOptions
    @OptionGroup var dataOptions: DataOptions

    func validate() throws {
        guard TrainingRequest.ModelKind(rawValue: model) != nil else {
            throw ValidationError("--model must be gbdt or linear, got '\(model)'")
        }
        if valid != nil && validFraction != nil { throw ValidationError("use either --valid or --valid-fraction, not both") }
    }

    func run() throws {
        let train = try dataOptions.read(data)
        let kinds = Dictionary(uniqueKeysWithValues: zip(train.names, train.columns.map(\.kind)))
        let validation = try valid.map { try dataOptions.read($0, extraKinds: kinds) }
        var request = TrainingRequest(label: label)
        request.kind = TrainingRequest.ModelKind(rawValue: model)!
        request.objective = objective
        request.gbdt = gbdt.parameters
        request.linear.lambda = gbdt.lambda
        request.linear.maxIterations = maxIter
        request.linear.threads = gbdt.threads
        request.validFraction = validFraction
        request.splitSeed = gbdt.seed
        request.preprocessing.maxOneHot = maxOneHot
        request.preprocessing.textBuckets = textBuckets
        request.datasetSHA256 = try FileFingerprint.sha256(path: data)
        request.software = "trainyard \(Trainyard.version)"

        let bar = ProgressBar()
        let showBar = !json && ProgressBar.isTerminal
        let outcome = try TrainingPipeline.run(train: train, validation: validation, request: request) { progress in
            if json { printJSON(["event": "round", "round": progress.round, "total": progress.totalRounds, "metric": progress.metric,
                                 "train": progress.train, "valid": progress.valid, "elapsed_seconds": progress.elapsedSeconds]) }
            else if showBar { bar.show(progress) }
        }
        if showBar && !outcome.history.isEmpty { bar.finish() }
        try ModelFile.write(outcome.model, to: out)

        let record = outcome.model.training
        if json {
            printJSON(["event": "done", "model": out, "objective": outcome.model.objective.name, "train_rows": record.trainRows,
                       "validation_rows": record.validationRows, "best_round": record.bestRound, "metrics": outcome.metrics])
        } else {
            print("trained \(model) (\(outcome.model.objective.name)) on \(record.trainRows) rows"
                  + (record.validationRows > 0 ? ", validated on \(record.validationRows)" : "")
                  + (record.bestRound.map { ", best round \($0)" } ?? ""))
            for (name, value) in outcome.metrics.sorted(by: { $0.key < $1.key }) { print(String(format: "  %-16@ %.6f", name as NSString, value)) }
            print("model written to \(out)")
        }
    }
}

/// Prints a JSON object on one line (keys sorted; `nil` values omitted).
func printJSON(_ object: [String: Any?]) {
    if let data = try? JSONSerialization.data(withJSONObject: object.compactMapValues { $0 }, options: [.sortedKeys]) {
        print(String(decoding: data, as: UTF8.self))
    }
}
