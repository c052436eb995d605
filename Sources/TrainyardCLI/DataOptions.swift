import ArgumentParser
import Foundation
import TrainyardML

/// How to read a CSV file: type overrides and bad-row handling.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Columns to read as categorical (comma-separated).", valueName: "columns"))
    var categorical: String?

    @Option(help: ArgumentHelp("Columns to read as free text (comma-separated).", valueName: "columns"))
    var text: String?

    @Option(help: ArgumentHelp("Columns to read as numbers; a non-number is an error (comma-separated).", valueName: "columns"))
    var numeric: String?

    @Flag(help: "Skip malformed rows (wrong field count, non-numbers in numeric columns) and report how many.")
    var skipBadRows = false

    @Option(help: "Input format: csv or libsvm (default: libsvm for .libsvm/.svm/.txt files, else csv).")
    var format: String?

    /// `path` with these reading options.
    func source(_ path: String) -> DatasetSource {
        var source = DatasetSource(path: path, format: format)
        func names(_ list: String?) -> [String] {
            (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        source.categorical = names(categorical)
        source.text = names(text)
        source.numeric = names(numeric)
        source.skipBadRows = skipBadRows
        return source
    }

    func read(_ path: String, extraKinds: [String: ColumnKind] = [:], features: Int = 0) throws -> Table {
        let table = try source(path).read(extraKinds: extraKinds, minimumFeatures: features)
        Self.reportSkipped(table, path: path)
        return table
    }

    /// Reads `path` with explicit CSV `options` (prediction and evaluation use the model's column kinds).
    static func read(_ path: String, format: String?, options: CSVOptions, features: Int = 0) throws -> Table {
        let table = try DatasetSource(path: path, format: format).read(options: options, minimumFeatures: features)
        reportSkipped(table, path: path)
        return table
    }

    /// Tells the user which malformed rows `--skip-bad-rows` skipped.
    /// Reports the skipped rows of a spec's training and validation tables.
    static func reportSkipped(_ spec: TrainingSpec, train: Table, validation: Table?) {
        reportSkipped(train, path: spec.data.path)
        if let validation { reportSkipped(validation, path: spec.validationPath ?? "") }
    }

    static func reportSkipped(_ table: Table, path: String) {
        guard !table.skippedLines.isEmpty else { return }
        let shown = table.skippedLines.prefix(10).map(String.init).joined(separator: ", ")
        printError("skipped \(table.skippedLines.count) malformed rows of \(path) (lines \(shown)\(table.skippedLines.count > 10 ? ", …" : ""))")
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
