/// Why a data file could not be read, naming the file, line (1-based, the header is line 1)
/// and column where that applies.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case emptyFile(file: String)
    case duplicateColumn(file: String, name: String)
    /// A row with the wrong number of fields, or an unterminated quote.
    case malformedRow(file: String, line: Int, reason: String)
    /// A value that does not fit its column's type (e.g. text in a column declared numeric).
    case badValue(file: String, line: Int, column: String, value: String, expected: String)
    case unknownColumn(file: String, name: String, available: [String])

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot read: \(reason)"
        case .emptyFile(let file): "\(file): the file is empty (a header line is required)"
        case .duplicateColumn(let file, let name): "\(file): column '\(name)' appears twice in the header"
        case .malformedRow(let file, let line, let reason): "\(file):\(line): \(reason)"
        case .badValue(let file, let line, let column, let value, let expected):
            "\(file):\(line): column '\(column)': '\(value)' is not \(expected)"
        case .unknownColumn(let file, let name, let available):
            "\(file): no column '\(name)'; columns are \(available.joined(separator: ", "))"
        }
    }

    /// The same error with its line number moved by `offset` (a part of a file parsed on its own).
    public func shiftingLines(by offset: Int) -> DatasetError {
        switch self {
        case .malformedRow(let file, let line, let reason): .malformedRow(file: file, line: line + offset, reason: reason)
        case .badValue(let file, let line, let column, let value, let expected):
            .badValue(file: file, line: line + offset, column: column, value: value, expected: expected)
        default: self
        }
    }
}
