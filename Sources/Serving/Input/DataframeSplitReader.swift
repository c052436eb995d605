import TrainyardML

/// The fast path for MLflow's `dataframe_split` batches: reads `{"dataframe_split":
/// {"columns": [...], "data": [[...], ...]}}` straight from the bytes into the model's typed
/// columns, without building a ``JSONValue`` per cell.
///
/// It walks the document with ``JSONParser``'s own primitives, so it accepts exactly the JSON
/// the parser accepts, and builds the same ``Table`` as ``PayloadDecoder/invocations(_:features:)``.
/// It declines (returns nil) on anything outside the common shape — a top-level key other
/// than `dataframe_split`, `data` before `columns`, a key given twice, an empty batch, a row of
/// the wrong length, a mistyped value, malformed JSON — and the caller then takes the general
/// path, which gives the same answer or the precise error.
public enum DataframeSplitReader {
    /// The table of a `dataframe_split` body, or nil when the general path must decide.
    public static func table(_ bytes: [UInt8], features: FeatureTable) -> Table? {
        var table: Table?
        guard read(bytes, features: features, chunkRows: .max, emit: { table = $0 }) else { return nil }
        return table
    }

    /// Reads a `dataframe_split` body, handing every `chunkRows` rows to `emit` as a table as
    /// soon as they are read (so they can be predicted while the rest is read). Returns false
    /// when it declines, possibly after emitting chunks: the caller then discards them.
    public static func read(_ bytes: [UInt8], features: FeatureTable, chunkRows: Int, emit: (Table) -> Void) -> Bool {
        guard opensWithDataframeSplit(bytes) else { return false }
        do {
            try JSONParser.scan(bytes) { (parser: inout JSONParser) throws(JSONParseError) in
                try document(&parser, features: features, chunkRows: chunkRows, emit: emit)
            }
            return true
        } catch {
            return false
        }
    }

    /// Whether the body opens with `{"dataframe_split"` (whitespace allowed between): the only
    /// shape the reader takes, so every other body (a single record, most of all) is left to the
    /// general path after a glance at its first bytes.
    public static func opensWithDataframeSplit(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func skipWhitespace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return false }
        index += 1
        skipWhitespace()
        return bytes[index...].starts(with: "\"dataframe_split\"".utf8)
    }

    /// Thrown to decline; never shown to a client.
    private static let decline = JSONParseError(message: "", offset: 0, line: 0, column: 0)

    private static func document(_ parser: inout JSONParser, features: FeatureTable, chunkRows: Int,
                                 emit: (Table) -> Void) throws(JSONParseError) {
        var found = false
        try members(&parser) { (key: String, parser: inout JSONParser) throws(JSONParseError) in
            // Batches from MLflow clients hold this one key; any other body is left to the general path.
            guard key == "dataframe_split" else { throw decline }
            guard !found, parser.next == UInt8(ascii: "{") else { throw decline }
            try split(&parser, features: features, chunkRows: chunkRows, emit: emit)
            found = true
        }
        parser.skipWhitespace()
        guard found, parser.next == nil else { throw decline }
    }

    /// The `dataframe_split` object: `columns` first, then `data`, other members ignored.
    private static func split(_ parser: inout JSONParser, features: FeatureTable, chunkRows: Int,
                              emit: (Table) -> Void) throws(JSONParseError) {
        var names: [String]?
        var read = false
        try members(&parser) { (key: String, parser: inout JSONParser) throws(JSONParseError) in
            switch key {
            case "columns":
                guard names == nil, case .array(let values) = try parser.value(depth: 2) else { throw decline }
                let strings = values.compactMap(\.string)
                guard strings.count == values.count, Set(strings).count == strings.count else { throw decline }
                names = strings
            case "data":
                guard let names, !read else { throw decline }
                try rows(&parser, names: names, features: features, chunkRows: chunkRows, emit: emit)
                read = true
            default:
                _ = try parser.value(depth: 2)
            }
        }
        guard read else { throw decline }
    }

    /// The `data` rows, each value parsed into the builder of its column, emitted every `chunkRows` rows.
    private static func rows(_ parser: inout JSONParser, names: [String], features: FeatureTable, chunkRows: Int,
                             emit: (Table) -> Void) throws(JSONParseError) {
        var position: [String: Int] = [:]
        for (index, name) in names.enumerated() { position[name] = index }
        var target = [Int](repeating: -1, count: names.count)
        for (builder, input) in features.inputs.enumerated() {
            guard let index = position[input.name] else { throw decline }
            target[index] = builder
        }
        let capacity = min(chunkRows, 4096)
        let categorical = features.inputs.map { $0.kind == .categorical }
        var builders = features.inputs.indices.map { features.builder($0, capacity: capacity) }
        try parser.expect(UInt8(ascii: "["), "'['")
        var row = 0
        parser.skipWhitespace()
        if parser.next == UInt8(ascii: "]") { throw decline }  // empty: the general path explains
        while true {
            try parser.expect(UInt8(ascii: "["), "'['")
            for index in 0..<names.count {
                parser.skipWhitespace()
                if index > 0 {
                    try parser.expect(UInt8(ascii: ","), "','")
                    parser.skipWhitespace()
                }
                let builder = target[index]
                guard builder >= 0 else { _ = try parser.value(depth: 4); continue }
                if categorical[builder], parser.next == UInt8(ascii: "\""), let level = parser.plainString() {
                    builders[builder].append(levelUTF8: level)
                    continue
                }
                let value: JSONValue
                switch parser.next ?? 0 {
                case UInt8(ascii: "\""): value = .string(try parser.string())
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = .number(try parser.number())
                case UInt8(ascii: "n"): try parser.literal("null"); value = .null
                case UInt8(ascii: "t"): try parser.literal("true"); value = .bool(true)
                case UInt8(ascii: "f"): try parser.literal("false"); value = .bool(false)
                default: throw decline
                }
                do throws(InputError) { try builders[builder].append(value, row: row) } catch { throw decline }
            }
            parser.skipWhitespace()
            try parser.expect(UInt8(ascii: "]"), "']'")
            row += 1
            if row % chunkRows == 0 {
                emit(Table(names: features.inputs.map(\.name), columns: builders.map { $0.column() }))
                builders = features.inputs.indices.map { features.builder($0, capacity: capacity) }
            }
            parser.skipWhitespace()
            guard parser.next == UInt8(ascii: ",") else { break }
            try parser.expect(UInt8(ascii: ","), "','")
            parser.skipWhitespace()
        }
        try parser.expect(UInt8(ascii: "]"), "']'")
        if row % chunkRows != 0 { emit(Table(names: features.inputs.map(\.name), columns: builders.map { $0.column() })) }
    }

    /// Walks an object's members, calling `member` with the parser at each value; a key given
    /// twice declines.
    private static func members(_ parser: inout JSONParser,
                                _ member: (String, inout JSONParser) throws(JSONParseError) -> Void) throws(JSONParseError) {
        parser.skipWhitespace()
        try parser.expect(UInt8(ascii: "{"), "'{'")
        parser.skipWhitespace()
        if parser.next == UInt8(ascii: "}") { try parser.expect(UInt8(ascii: "}"), "'}'"); return }
        var seen = Set<String>()
        while true {
            guard parser.next == UInt8(ascii: "\"") else { throw decline }
            let key = try parser.string()
            guard seen.insert(key).inserted else { throw decline }
            parser.skipWhitespace()
            try parser.expect(UInt8(ascii: ":"), "':'")
            parser.skipWhitespace()
            try member(key, &parser)
            parser.skipWhitespace()
            guard parser.next == UInt8(ascii: ",") else { break }
            try parser.expect(UInt8(ascii: ","), "','")
            parser.skipWhitespace()
        }
        try parser.expect(UInt8(ascii: "}"), "'}'")
    }
}
