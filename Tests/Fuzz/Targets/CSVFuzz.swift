import TrainyardML

/// CSV bytes through ``CSVReader``; the first byte picks the options (delimiter, skipping bad rows, declared
/// kinds, one or two threads), the rest is the file.
enum CSVFuzz {
    static func run(_ data: UnsafeRawBufferPointer) {
        guard let control = data.first else { return }
        var options = CSVOptions()
        options.delimiter = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")][Int(control & 0x03)]
        options.skipBadRows = control & 0x04 != 0
        options.strictKinds = control & 0x08 != 0
        if control & 0x10 != 0 { options.kinds = ["a": .numeric, "b": .categorical, "c": .text] }
        options.threads = control & 0x20 != 0 ? 2 : 1
        guard let table = try? CSVReader.read(bytes: Array(data.dropFirst()), name: "fuzz.csv", options: options) else { return }
        precondition(table.names.count == table.columns.count, "\(table.names.count) names for \(table.columns.count) columns")
        for column in table.columns {
            precondition(column.count == table.rows, "a column of \(column.count) values in a table of \(table.rows) rows")
        }
    }
}
