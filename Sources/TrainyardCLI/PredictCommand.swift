import ArgumentParser
import Foundation
import TrainyardML

/// `trainyard predict`: apply a model file to a CSV file.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a saved model; writes a CSV of predictions."
    )

    @Option(help: "Model file written by train or import.") var model: String
    @Option(help: "Data to predict (CSV with the model's input columns; extra columns are ignored).") var data: String
    @Option(help: "Output CSV, or - for standard output.") var out: String = "-"
    @Option(help: "Threads (0 = all cores).") var threads = 0
    @Option(help: "Input format: csv or libsvm (default: by file extension).") var format: String?
    @Flag(help: "Skip malformed rows instead of failing.") var skipBadRows = false

    func run() throws {
        let trained = try ModelFile.read(path: model)
        var options = CSVOptions()
        options.kinds = trained.preprocessor.columnKinds
        options.strictKinds = false
        options.skipBadRows = skipBadRows
        let table = try DataOptions.read(data, format: format, options: options, features: trained.preprocessor.inputs.count)
        let predictions = try trained.predict(table, threads: threads)
        let text = PredictionWriter(model: trained).csv(predictions, rows: table.rows)
        if out == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            try AtomicFile.write(Array(text.utf8), to: out)
            printError("wrote \(table.rows) predictions to \(out)")
        }
    }
}
