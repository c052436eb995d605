import ArgumentParser
import Foundation
import TrainyardML

/// `trainyard evaluate`: metrics of a saved model on labelled data.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compute a saved model's metrics (AUC, logloss, accuracy, RMSE, …) on labelled data."
    )

    @Option(help: "Model file.") var model: String
    @Option(help: "Labelled data (CSV).") var data: String
    @Option(help: "Name of the label column (default: the model's).") var label: String?
    @Option(help: "Threads (0 = all cores).") var threads = 0
    @Option(help: "Input format: csv or libsvm (default: by file extension).") var format: String?
    @Flag(help: "Print the metrics as JSON.") var json = false

    func run() throws {
        let trained = try ModelFile.read(path: model)
        let table = try DataOptions.read(data, format: format, options: trained.labelledCSVOptions(label: label),
                                         features: trained.preprocessor.inputs.count)
        guard table[label ?? trained.label.name] != nil else {
            throw DatasetError.unknownColumn(file: data, name: label ?? trained.label.name, available: table.names)
        }
        let metrics = try trained.metrics(on: table, label: label, threads: threads)
        if json {
            printJSON(["rows": table.rows, "metrics": metrics])
        } else {
            print("\(table.rows) rows")
            for (name, value) in metrics.sorted(by: { $0.key < $1.key }) { print(Format.metricLine(name, value, width: 10)) }
        }
    }
}
