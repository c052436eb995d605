import TrainyardML

/// Builds the ``Table`` a model predicts on from JSON feature values, checking each value
/// against the column type the model was trained with.
///
/// Numeric features take numbers, booleans (1/0) or `null` (missing); categorical features take strings or `null`
/// — a number or boolean only when its text is one of the levels the model was trained with (a column of codes such
/// as `3`), else 400 naming the feature; text features take strings or `null`. Features the model does not use are
/// ignored. A category the model never saw is encoded as in training (an all-zero one-hot) and counted by
/// ``unseenCategories(in:)``.
public struct FeatureTable: Sendable {
    /// The columns the model reads, in its input order.
    public let inputs: [InputColumn]
    /// For each of ``inputs``, the levels a categorical feature was trained with (`nil` for other kinds).
    let knownLevels: [Set<String>?]

    public init(model: TrainyardModel) {
        inputs = model.preprocessor.inputs.filter { $0.transform.width > 0 }
        knownLevels = inputs.map { input in
            switch input.transform {
            case .oneHot(let levels, _), .ordinal(let levels): Set(levels)
            default: nil
            }
        }
    }

    /// A builder for input `index`'s column.
    func builder(_ index: Int, capacity: Int) -> ColumnBuilder {
        ColumnBuilder(input: inputs[index], known: knownLevels[index], capacity: capacity)
    }

    /// For each categorical feature of `table` with values the model was not trained on, how many rows have one.
    /// Cheap when there are none: only each column's distinct levels are looked at.
    public func unseenCategories(in table: Table) -> [String: Int] {
        var unseen: [String: Int] = [:]
        for (index, input) in inputs.enumerated() {
            guard let known = knownLevels[index], case .categorical(let codes, let levels)? = table[input.name] else { continue }
            let isUnseen = levels.map { !known.contains($0) }
            guard isUnseen.contains(true) else { continue }
            let count = codes.reduce(0) { $0 + ($1 >= 0 && isUnseen[Int($1)] ? 1 : 0) }
            if count > 0 { unseen[input.name] = count }
        }
        return unseen
    }

    /// The model's features checked against a table read from CSV (typed by the model's column kinds): every
    /// feature must be there.
    public func check(csv table: Table) throws(InputError) {
        let missing = inputs.map(\.name).filter { table.index(of: $0) == nil }
        guard missing.isEmpty else {
            throw InputError("the CSV lacks feature\(missing.count == 1 ? "" : "s") \(missing.prefix(8).map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    /// A table from records (`[{"feature": value, …}, …]`).
    public func table(records: [JSONValue]) throws(InputError) -> Table {
        guard !records.isEmpty else { throw InputError("no records to predict: the batch is empty") }
        var builders = inputs.indices.map { builder($0, capacity: records.count) }
        for (row, item) in records.enumerated() {
            guard case .object(let record) = item else {
                throw InputError("record \(row) must be a JSON object of feature values, got \(item.typeName)")
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
    public func table(columns: [String: [JSONValue]]) throws(InputError) -> Table {
        var rows: Int?
        var built: [Column] = []
        for (index, input) in inputs.enumerated() {
            guard let values = columns[input.name] else { throw InputError("missing feature '\(input.name)'") }
            if let rows, rows != values.count {
                throw InputError("feature '\(input.name)' has \(values.count) values, the others have \(rows)")
            }
            rows = values.count
            var column = builder(index, capacity: values.count)
            for (row, value) in values.enumerated() { try column.append(value, row: row) }
            built.append(column.column())
        }
        guard let rows, rows > 0 else { throw InputError("no rows to predict: the columns are empty") }
        return Table(names: inputs.map(\.name), columns: built)
    }

    /// A table from rows of values (`[[v0, v1, …], …]`), named by `columnNames` or, without
    /// them, in the model's input order. Columns the model does not use are skipped.
    public func table(rows: [JSONValue], columnNames: [String]? = nil) throws(InputError) -> Table {
        let names = columnNames ?? inputs.map(\.name)
        for (row, item) in rows.enumerated() {
            guard case .array(let values) = item else {
                throw InputError("row \(row) must be an array of \(names.count) values, got \(item.typeName)")
            }
            guard values.count == names.count else {
                throw InputError("row \(row) has \(values.count) values; expected \(names.count) (\(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", …" : ""))")
            }
        }
        guard !rows.isEmpty else { throw InputError("no rows to predict: the batch is empty") }
        // For each position in a row, the builder it feeds (nil: a column the model ignores).
        var position: [String: Int] = [:]
        for (index, name) in names.enumerated() { position[name] = index }
        var target = [Int?](repeating: nil, count: names.count)
        for (builder, input) in inputs.enumerated() {
            guard let index = position[input.name] else { throw InputError("missing feature '\(input.name)'") }
            target[index] = builder
        }
        var builders = inputs.indices.map { builder($0, capacity: rows.count) }
        for (row, item) in rows.enumerated() {
            guard case .array(let values) = item else { continue }
            for (index, value) in values.enumerated() {
                if let builder = target[index] { try builders[builder].append(value, row: row) }
            }
        }
        return Table(names: inputs.map(\.name), columns: builders.map { $0.column() })
    }
}

/// Accumulates one typed column.
struct ColumnBuilder {
    let input: InputColumn
    /// A categorical feature's training levels: numbers and booleans are accepted only as one of them.
    let known: Set<String>?
    private var numbers: [Float] = []
    private var codes: [Int32] = []
    private var levels: [String] = []
    private var levelCodes: [String: Int32] = [:]
    /// The levels' UTF-8, searched linearly while there are few (cheaper than hashing a String).
    private var levelBytes: [[UInt8]] = []
    private var texts: [String] = []

    init(input: InputColumn, known: Set<String>?, capacity: Int) {
        self.input = input
        self.known = known
        switch input.kind {
        case .numeric: numbers.reserveCapacity(capacity)
        case .categorical: codes.reserveCapacity(capacity)
        case .text: texts.reserveCapacity(capacity)
        }
    }

    mutating func append(_ value: JSONValue, row: Int) throws(InputError) {
        switch value {
        case .number(let number): try append(number: number, row: row)
        case .string(let string): try append(string: string, row: row)
        case .bool(let flag): try append(bool: flag, row: row)
        case .null: appendNull()
        default: throw mistyped(value.typeName, row: row)
        }
    }

    /// A number: the value of a numeric feature, or a category level the model knows by that text (`3` for `"3"`).
    private mutating func append(number: Double, row: Int) throws(InputError) {
        switch input.kind {
        case .numeric: numbers.append(Float(number))
        case .categorical: try append(level: JSONInput.text(of: number), given: "the number \(JSONInput.text(of: number))", row: row)
        case .text: throw mistyped("a number", row: row)
        }
    }

    private mutating func append(string: String, row: Int) throws(InputError) {
        switch input.kind {
        case .numeric: throw mistyped(JSONValue.string(string).typeName, row: row)
        case .categorical: append(level: string)
        case .text: texts.append(string)
        }
    }

    /// `true`/`false`: 1/0 for a numeric feature, the category `"true"`/`"false"` if the model knows it.
    private mutating func append(bool flag: Bool, row: Int) throws(InputError) {
        switch input.kind {
        case .numeric: numbers.append(flag ? 1 : 0)
        case .categorical: try append(level: flag ? "true" : "false", given: "the boolean \(flag)", row: row)
        case .text: throw mistyped("a boolean", row: row)
        }
    }

    /// A non-string value of a categorical feature: accepted only as a level the model was trained with.
    private mutating func append(level: String, given: String, row: Int) throws(InputError) {
        guard known?.contains(level) == true else {
            let levels = (known ?? []).sorted()
            let shown = levels.prefix(6).map { "\"\($0)\"" }.joined(separator: ", ") + (levels.count > 6 ? ", …" : "")
            throw InputError("feature '\(input.name)' (row \(row)) is categorical: send its level as a string (\(shown)); got \(given)")
        }
        append(level: level)
    }

    /// `null`: a missing value (an empty text).
    private mutating func appendNull() {
        switch input.kind {
        case .numeric: numbers.append(.nan)
        case .categorical: codes.append(-1)
        case .text: texts.append("")
        }
    }

    private mutating func append(level: String) {
        if let code = levelCodes[level] { codes.append(code); return }
        let code = Int32(levels.count)
        levels.append(level)
        levelCodes[level] = code
        levelBytes.append(Array(level.utf8))
        codes.append(code)
    }

    /// A category level given as its UTF-8 bytes (a string cell of a categorical feature;
    /// the caller checks the kind).
    mutating func append(levelUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        if levelBytes.count <= 16 {
            for (code, known) in levelBytes.enumerated() where known.count == bytes.count {
                if known.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { codes.append(Int32(code)); return }
            }
        }
        append(level: String(decoding: bytes, as: UTF8.self))
    }

    func column() -> Column {
        switch input.kind {
        case .numeric: .numeric(numbers)
        case .categorical: .categorical(codes: codes, levels: levels)
        case .text: .text(texts)
        }
    }

    private func mistyped(_ typeName: String, row: Int) -> InputError {
        let expected = switch input.kind {
        case .numeric: "a number or null"
        case .categorical: "a string or null"
        case .text: "a string or null"
        }
        return InputError("feature '\(input.name)' (row \(row)) must be \(expected), got \(typeName)")
    }
}
