import TrainyardML

/// An error as a submitter may see it: the same facts (file, line, column, expected type)
/// without any value read from the data, so a job on a file it should not read, or a
/// file with secrets in it, cannot echo that file back through `jobs show` or an error reply.
/// The unredacted error goes to the coordinator's log only.
public struct RedactedError: Error, Sendable, CustomStringConvertible {
    public let description: String

    /// Redacts the errors that quote file contents (``DatasetError``, ``LabelError``); other
    /// errors are described as they are.
    public init(_ error: any Error) {
        description = Self.describe(error)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as RedactedError: return error.description
        case let error as DatasetError:
            switch error {
            case .malformedRow(let file, let line, _):
                return "\(file):\(line): malformed row (the coordinator's log has the details)"
            case .badValue(let file, let line, let column, _, let expected):
                return "\(file):\(line): column '\(column)': a value is not \(expected)"
            case .unreadable, .emptyFile, .duplicateColumn, .unknownColumn:
                return error.description
            }
        case let error as LabelError:
            switch error {
            case .unknownClass(let name, let row, _, _):
                return "label '\(name)' in data row \(row + 1) is not one of the trained classes"
            case .missing, .wrongKind:
                return error.description
            }
        default:
            return "\(error)"
        }
    }
}
