import Foundation
import TrainyardML

/// Builds the ``Table`` a model predicts on from JSON feature values, checking each value
/// against the column type the model was trained with.
///
/// Numeric features take numbers or `null` (missing); categorical features take strings,
/// numbers (by their text, so `3` is the category `"3"`) or `null`; text features take
/// strings or `null`. Features the model does not use are ignored.
public struct FeatureTable: Sendable {
    /// The columns the model reads, in its input order.
    public let inputs: [InputColumn]

    public init(model: TrainyardModel) {
        inputs = model.preprocessor.inputs.filter { $0.transform.width > 0 }
    }

    /// A table from records (`[{"feature": value, …}, …]`).
    public func table(records: [Any]) throws(InputError) -> Table {
        guard !records.isEmpty else { throw InputError("no records to predict: the batch is empty") }
        var builders = inputs.map { ColumnBuilder(input: $0, capacity: records.count) }
        for (row, item) in records.enumerated() {
            guard let record = item as? [String: Any] else {
                throw InputError("record \(row) must be a JSON object of feature values, got \(JSONInput.typeName(item))")
            }
            for index in builders.indices {
                guard let value = record[builders[index].input.name] else {
                    throw InputError("record \(row) is missing feature '\(builders[index].input.name)'")
                }
                try builders[index].append(value, row: row)
            }
        }
        return Table(names: inputs.map(\.name), columns: builders.map { $0.column() })
    }

    /// A table from named columns of equal length (`{"feature": [v0, v1, …], …}`).
    public func table(columns: [String: [Any]]) throws(InputError) -> Table {
        var rows: Int?
        var built: [Column] = []
        for input in inputs {
            guard let values = columns[input.name] else { throw InputError("missing feature '\(input.name)'") }
            if let rows, rows != values.count {
                throw InputError("feature '\(input.name)' has \(values.count) values, the others have \(rows)")
            }
            rows = values.count
            var builder = ColumnBuilder(input: input, capacity: values.count)
            for (row, value) in values.enumerated() { try builder.append(value, row: row) }
            built.append(builder.column())
        }
        guard let rows, rows > 0 else { throw InputError("no rows to predict: the columns are empty") }
        return Table(names: inputs.map(\.name), columns: built)
    }

    /// A table from rows of values in the model's input order (`[[v0, v1, …], …]`).
    public func table(rows: [Any], columnNames: [String]? = nil) throws(InputError) -> Table {
        let names = columnNames ?? inputs.map(\.name)
        var columns: [String: [Any]] = Dictionary(uniqueKeysWithValues: names.map { ($0, [Any]()) })
        for (index, item) in rows.enumerated() {
            guard let values = item as? [Any] else {
                throw InputError("row \(index) must be an array of \(names.count) values, got \(JSONInput.typeName(item))")
            }
            guard values.count == names.count else {
                throw InputError("row \(index) has \(values.count) values; expected \(names.count) (\(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", …" : ""))")
            }
            for (name, value) in zip(names, values) { columns[name]!.append(value) }
        }
        guard !rows.isEmpty else { throw InputError("no rows to predict: the batch is empty") }
        return try table(columns: columns)
    }
}

/// Accumulates one typed column.
struct ColumnBuilder {
    let input: InputColumn
    private var numbers: [Float] = []
    private var codes: [Int32] = []
    private var levels: [String] = []
    private var levelCodes: [String: Int32] = [:]
    private var texts: [String] = []

    init(input: InputColumn, capacity: Int) {
        self.input = input
        switch input.kind {
        case .numeric: numbers.reserveCapacity(capacity)
        case .categorical: codes.reserveCapacity(capacity)
        case .text: texts.reserveCapacity(capacity)
        }
    }

    mutating func append(_ value: Any, row: Int) throws(InputError) {
        switch input.kind {
        case .numeric:
            if let number = value as? NSNumber, !(value is String) { numbers.append(number.floatValue) }
            else if value is NSNull { numbers.append(.nan) }
            else { throw mistyped(value, row: row, expected: "a number or null") }
        case .categorical:
            let level: String
            if let string = value as? String { level = string }
            else if let number = value as? NSNumber { level = JSONInput.text(of: number) }
            else if value is NSNull { codes.append(-1); return }
            else { throw mistyped(value, row: row, expected: "a string, a number or null") }
            if let code = levelCodes[level] { codes.append(code); return }
            let code = Int32(levels.count)
            levels.append(level)
            levelCodes[level] = code
            codes.append(code)
        case .text:
            if let string = value as? String { texts.append(string) }
            else if value is NSNull { texts.append("") }
            else { throw mistyped(value, row: row, expected: "a string or null") }
        }
    }

    func column() -> Column {
        switch input.kind {
        case .numeric: .numeric(numbers)
        case .categorical: .categorical(codes: codes, levels: levels)
        case .text: .text(texts)
        }
    }

    private func mistyped(_ value: Any, row: Int, expected: String) -> InputError {
        InputError("feature '\(input.name)' (row \(row)) must be \(expected), got \(JSONInput.typeName(value))")
    }
}
