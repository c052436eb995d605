import ArgumentParser
import Foundation
import TrainyardML

/// `trainyard train`: train a model on one machine and write a Trainyard model file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a gradient-boosted tree or linear model locally and save it."
    )

    @OptionGroup var training: TrainingOptions
    @Option(help: "Where to write the model file.") var out: String
    @Flag(help: "Print progress and the result as JSON lines on standard output.") var json = false

    func run() throws {
        try training.requireFile()
        let spec = training.spec
        try spec.validate()
        let (train, validation) = try spec.load()
        DataOptions.reportSkipped(spec, train: train, validation: validation)
        let request = spec.request(datasetSHA256: try FileFingerprint.sha256(path: spec.data.path),
                                   software: "trainyard \(Trainyard.version)")
        let bar = ProgressBar()
        let showBar = !json && ProgressBar.isTerminal
        let fitStart = ContinuousClock.now
        let outcome = try TrainingPipeline.run(train: train, validation: validation, request: request) { progress in
            if json { printJSON(["event": "round", "round": progress.round, "total": progress.totalRounds, "metric": progress.metric,
                                 "train": progress.train, "valid": progress.valid, "elapsed_seconds": progress.elapsedSeconds]) }
            else if showBar { bar.show(progress) }
        }
        let fitSeconds = (ContinuousClock.now - fitStart) / .seconds(1)
        if showBar && !outcome.history.isEmpty { bar.finish() }
        try ModelFile.write(outcome.model, to: out)
        if let note = Self.textNote(outcome.model) { printError(note) }

        let record = outcome.model.training
        if json {
            printJSON(["event": "done", "model": out, "objective": outcome.model.objective.name, "train_rows": record.trainRows,
                       "validation_rows": record.validationRows, "best_round": record.bestRound, "metrics": outcome.metrics,
                       "fit_seconds": fitSeconds])
        } else {
            print("trained \(spec.model.rawValue) (\(outcome.model.objective.name)) on \(record.trainRows) rows"
                  + (record.validationRows > 0 ? ", validated on \(record.validationRows)" : "")
                  + (record.bestRound.map { ", best round \($0)" } ?? ""))
            for (name, value) in outcome.metrics.sorted(by: { $0.key < $1.key }) { print(Format.metricLine(name, value)) }
            print("model written to \(out)")
        }
    }
}

extension TrainCommand {
    /// Advice for a tree model with text columns: linear models are the ones for text (every word and word pair its
    /// own weight, up to 2^20 buckets, where trees take a few thousand dense columns).
    static func textNote(_ model: TrainyardModel) -> String? {
        guard case .gbdt = model.estimator else { return nil }
        let text = model.preprocessor.inputs.filter { if case .hashedTFIDF = $0.transform { true } else { false } }.map(\.name)
        guard !text.isEmpty else { return nil }
        return "note: \(text.map { "'\($0)'" }.joined(separator: ", ")) \(text.count == 1 ? "is a text column" : "are text columns"); "
            + "--model linear is recommended for text (trees see at most \(TrainingSpec.maxTreeTextBuckets) hashed buckets per column)"
    }
}

/// Prints a JSON object on one line (keys sorted; `nil` values omitted).
func printJSON(_ object: [String: Any?]) {
    if let data = try? JSONSerialization.data(withJSONObject: object.compactMapValues { $0 }, options: [.sortedKeys]) {
        print(String(decoding: data, as: UTF8.self))
        // One line per event, as it happens, also when standard output is a pipe (block-buffered otherwise).
        fflush(nil)
    }
}
