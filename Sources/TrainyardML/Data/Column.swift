/// One column of a ``Table``, stored contiguously by type.
public enum Column: Sendable, Equatable {
    /// Numbers; `NaN` is missing.
    case numeric([Float])
    /// Category codes into `levels` (in order of first appearance); `-1` is missing.
    case categorical(codes: [Int32], levels: [String])
    /// Free text; the empty string is missing.
    case text([String])

    public var count: Int {
        switch self {
        case .numeric(let values): values.count
        case .categorical(let codes, _): codes.count
        case .text(let values): values.count
        }
    }

    /// `numeric`, `categorical` or `text`.
    public var kind: ColumnKind {
        switch self {
        case .numeric: .numeric
        case .categorical: .categorical
        case .text: .text
        }
    }
}

/// The type of a column, as inferred or declared.
public enum ColumnKind: String, Sendable, Codable, CaseIterable {
    case numeric, categorical, text
}
