/// How the label column maps to the numbers the objective sees.
public struct LabelEncoding: Sendable, Equatable, Codable {
    public var name: String
    /// For a categorical label: class names in class-index order (sorted), so `classes[1]`
    /// is the positive class of a binary model. `nil` for numeric labels.
    public var classes: [String]?

    /// The label `name`, categorical with `classes` (in class-index order) or numeric (`nil`).
    public init(name: String, classes: [String]?) {
        self.name = name
        self.classes = classes
    }

    /// Fits on the training label column.
    public static func fit(name: String, column: Column) throws(PreprocessingError) -> LabelEncoding {
        switch column {
        case .numeric: return LabelEncoding(name: name, classes: nil)
        case .categorical(_, let levels): return LabelEncoding(name: name, classes: levels.sorted())
        case .text: throw .wrongKind(name, expected: .categorical, found: .text)
        }
    }

    /// The label values as numbers; missing labels are reported by row.
    public func encode(_ column: Column) throws(LabelError) -> [Float] {
        switch (classes, column) {
        case (nil, .numeric(let values)):
            if let row = values.firstIndex(where: \.isNaN) { throw .missing(name, row: row) }
            return values
        case (let classes?, .categorical(let codes, let levels)):
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Float($0)) })
            var result: [Float] = []
            result.reserveCapacity(codes.count)
            for (row, code) in codes.enumerated() {
                guard code >= 0 else { throw .missing(name, row: row) }
                guard let value = index[levels[Int(code)]] else { throw .unknownClass(name, row: row, value: levels[Int(code)], known: classes) }
                result.append(value)
            }
            return result
        case (nil, _): throw .wrongKind(name, expected: .numeric, found: column.kind)
        case (_?, _): throw .wrongKind(name, expected: .categorical, found: column.kind)
        }
    }
}

/// A label column that cannot be used.
public enum LabelError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String, row: Int)
    case unknownClass(String, row: Int, value: String, known: [String])
    case wrongKind(String, expected: ColumnKind, found: ColumnKind)

    public var description: String {
        switch self {
        case .missing(let name, let row): "label '\(name)' is missing in data row \(row + 1)"
        case .unknownClass(let name, let row, let value, let known):
            "label '\(name)' in data row \(row + 1) is '\(value)', not one of the trained classes \(known.joined(separator: ", "))"
        case .wrongKind(let name, let expected, let found): "label '\(name)' must be \(expected.rawValue), found \(found.rawValue)"
        }
    }
}
