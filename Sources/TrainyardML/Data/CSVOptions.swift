/// How to read a CSV file.
public struct CSVOptions: Sendable {
    /// Field separator. Default `,`.
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Column types that override inference, by column name.
    public var kinds: [String: ColumnKind] = [:]
    /// Whether an override naming a column the file lacks is an error (a typo) or ignored
    /// (prediction data read with a model's full schema).
    public var strictKinds = true
    /// Skip (and count) malformed rows instead of failing on the first one.
    public var skipBadRows = false
    /// Values read as missing (after trimming spaces), besides the empty field.
    public var missingTokens: Set<String> = ["NA", "NaN", "nan", "N/A", "null", "NULL"]
    /// Threads for parsing; 0 uses every core.
    public var threads = 0

    /// Comma-separated, types inferred, failing on the first bad row.
    public init() {}
}
