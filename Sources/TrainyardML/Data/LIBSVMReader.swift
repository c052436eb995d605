import Foundation

/// Reads LIBSVM / SVMlight files: one row per line, `label index:value index:value …`,
/// optional `qid:n` (ignored) and `# comments`.
///
/// The result is a ``Table`` with a numeric `label` column and features `f0…f<max index>`;
/// as in XGBoost, an index absent from a line is a *missing* value (not zero), so trees learn
/// where absent entries go. Indices are used as written (0- or 1-based).
public enum LIBSVMReader {
    /// - Parameter minimumFeatures: at least this many feature columns (a prediction file
    ///   whose largest index is below the model's still gets every column the model needs).
    public static func read(path: String, skipBadRows: Bool = false, minimumFeatures: Int = 0) throws(DatasetError) -> Table {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(file: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return try read(text: String(decoding: data, as: UTF8.self), name: path, skipBadRows: skipBadRows,
                        minimumFeatures: minimumFeatures)
    }

    /// Parses LIBSVM text already in memory; `name` is used in error messages.
    public static func read(text: String, name: String, skipBadRows: Bool = false, minimumFeatures: Int = 0) throws(DatasetError) -> Table {
        var labels: [Float] = []
        var entries: [[(Int, Float)]] = []
        var skipped: [Int] = []
        var maxIndex = -1
        rows: for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = offset + 1
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let tokens = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = tokens.first else { continue }
            func fail(_ reason: String) throws(DatasetError) {
                if skipBadRows { skipped.append(line) } else { throw .malformedRow(file: name, line: line, reason: reason) }
            }
            guard let label = Float(first) else {
                try fail("label '\(first)' is not a number")
                continue
            }
            var row: [(Int, Float)] = []
            for token in tokens.dropFirst() {
                if token.hasPrefix("qid:") { continue }
                let parts = token.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let index = Int(parts[0]), index >= 0, let value = Float(parts[1]) else {
                    try fail("'\(token)' is not index:value with a non-negative integer index and a number")
                    continue rows
                }
                row.append((index, value))
                maxIndex = max(maxIndex, index)
            }
            labels.append(label)
            entries.append(row)
        }
        let width = max(maxIndex + 1, minimumFeatures)
        var columns = [[Float]](repeating: [Float](repeating: .nan, count: labels.count), count: width)
        for (r, row) in entries.enumerated() {
            for (index, value) in row { columns[index][r] = value }
        }
        var table = Table(names: ["label"] + (0..<width).map { "f\($0)" },
                          columns: [.numeric(labels)] + columns.map { .numeric($0) })
        table.skippedLines = skipped
        return table
    }
}
