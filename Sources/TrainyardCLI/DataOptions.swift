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

    func csvOptions(extraKinds: [String: ColumnKind] = [:]) -> CSVOptions {
        var options = CSVOptions()
        options.skipBadRows = skipBadRows
        options.kinds = extraKinds
        for (list, kind) in [(numeric, ColumnKind.numeric), (categorical, .categorical), (text, .text)] {
            for name in (list ?? "").split(separator: ",") { options.kinds[name.trimmingCharacters(in: .whitespaces)] = kind }
        }
        return options
    }

    func read(_ path: String, extraKinds: [String: ColumnKind] = [:]) throws -> Table {
        try Self.read(path, format: format, options: csvOptions(extraKinds: extraKinds))
    }

    /// Reads CSV or LIBSVM (by `format`, else by the file extension) and reports skipped rows.
    static func read(_ path: String, format: String?, options: CSVOptions, features: Int = 0) throws -> Table {
        let isLIBSVM = format.map { $0 == "libsvm" } ?? ["libsvm", "svm", "txt"].contains(URL(fileURLWithPath: path).pathExtension)
        if let format, !["csv", "libsvm"].contains(format) { throw ValidationError("--format must be csv or libsvm, got '\(format)'") }
        let table = isLIBSVM ? try LIBSVMReader.read(path: path, skipBadRows: options.skipBadRows, minimumFeatures: features)
                             : try CSVReader.read(path: path, options: options)
        if !table.skippedLines.isEmpty {
            let shown = table.skippedLines.prefix(10).map(String.init).joined(separator: ", ")
            printError("skipped \(table.skippedLines.count) malformed rows of \(path) (lines \(shown)\(table.skippedLines.count > 10 ? ", …" : ""))")
        }
        return table
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
