import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads CSV files with a header line into a columnar ``Table``.
///
/// Column types are inferred from all rows unless overridden: a column whose every
/// non-missing value is a number is numeric; otherwise it is text when its values are long
/// and mostly contain spaces, else categorical. Fields may be quoted (RFC 4180, `""`
/// escapes a quote, quoted fields may span lines). Files without quotes are split into
/// line-aligned chunks and parsed in parallel.
public enum CSVReader {
    /// Reads `path`. Errors name the file, the line and the column.
    public static func read(path: String, options: CSVOptions = CSVOptions()) throws(DatasetError) -> Table {
        let data: Data
        do {
            // Mapped, not copied: the parser reads the file's pages in place.
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or not a regular file" : "no such file"
            throw .unreadable(file: path, reason: reason)
        }
        let result = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<Table, DatasetError> in
            do throws(DatasetError) {
                return .success(try Parser(bytes: raw.bindMemory(to: UInt8.self), name: path, options: options).table())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads CSV text already in memory; `name` is used in error messages.
    public static func read(bytes: [UInt8], name: String, options: CSVOptions = CSVOptions()) throws(DatasetError) -> Table {
        try bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(DatasetError) -> Table in
            try Parser(bytes: buffer, name: name, options: options).table()
        }
    }
}

/// One record's place in the file.
struct Record {
    var start: Int
    var end: Int
    var line: Int
}

private struct ChunkResult {
    /// Parsed numbers of the chunk's rows, column-major with `capacity` slots per column;
    /// slots of columns that did not parse as numbers are left unset. Freed by the parser
    /// once the columns are assembled.
    nonisolated(unsafe) var values: UnsafeMutablePointer<Float>
    var capacity: Int
    var failed: [Bool]
    /// Physical lines the chunk spans, to number the next chunk's lines.
    var lineCount = 0
    var records: [Record] = []
    var skipped: [Int] = []
    var error: DatasetError?
}

extension ChunkResult {
    /// Turns chunk-relative line numbers into file line numbers.
    mutating func shiftLines(by offset: Int) {
        for i in records.indices { records[i].line += offset }
        for i in skipped.indices { skipped[i] += offset }
        error = error?.shiftingLines(by: offset)
    }
}

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    let name: String
    let options: CSVOptions
    let quote = UInt8(ascii: "\"")
    let newline = UInt8(ascii: "\n")

    func table() throws(DatasetError) -> Table {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        let hasQuotes = bytes.count > 0 && memchr(bytes.baseAddress!, Int32(quote), bytes.count) != nil
        guard let headerRecord = nextRecord(from: start, line: 1, quoted: hasQuotes) else { throw .emptyFile(file: name) }
        let names = fields(of: headerRecord.record).map { string($0) }
        guard !(names.count == 1 && names[0].isEmpty) else { throw .emptyFile(file: name) }
        var seen = Set<String>()
        for column in names where !seen.insert(column).inserted { throw .duplicateColumn(file: name, name: column) }
        for column in options.kinds.keys.sorted() where options.strictKinds && !seen.contains(column) {
            throw .unknownColumn(file: name, name: column, available: names)
        }

        let chunks = hasQuotes ? [headerRecord.next..<bytes.count] : lineAlignedChunks(from: headerRecord.next)
        var results = [ChunkResult?](repeating: nil, count: chunks.count)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: chunks.count, threads: Parallel.resolve(threads: options.threads)) { k in
                // Lines are numbered from 0 within a chunk and shifted once all chunks are done.
                out[k] = parse(chunk: chunks[k], firstLine: 0, names: names, quoted: hasQuotes)
            }
        }
        var parsed = results.map { $0! }
        var firstLine = headerRecord.record.line + headerRecord.lines
        for k in parsed.indices {
            parsed[k].shiftLines(by: firstLine)
            firstLine += parsed[k].lineCount
        }
        if let error = parsed.lazy.compactMap(\.error).first {
            for chunk in parsed { chunk.values.deallocate() }
            throw error
        }

        let records = parsed.flatMap(\.records)
        let numeric = names.indices.map { c in
            options.kinds[names[c]] == .numeric || (options.kinds[names[c]] == nil && !parsed.contains { $0.failed[c] })
        }
        // Each numeric column is its chunks' column slices, copied once.
        let width = names.count
        let rowCount = records.count
        var numericColumns = [[Float]](repeating: [], count: width)
        numericColumns.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: width, threads: Parallel.resolve(threads: options.threads)) { c in
                guard numeric[c] else { return }
                out[c] = [Float](unsafeUninitializedCapacity: rowCount) { buffer, initialized in
                    var position = 0
                    for chunk in parsed {
                        let rows = chunk.records.count
                        (buffer.baseAddress! + position).initialize(from: chunk.values + c * chunk.capacity, count: rows)
                        position += rows
                    }
                    initialized = position
                }
            }
        }
        for chunk in parsed { chunk.values.deallocate() }
        var columns: [Column] = []
        for c in names.indices {
            columns.append(numeric[c] ? .numeric(numericColumns[c])
                                      : stringColumn(c, records: records, declared: options.kinds[names[c]], quoted: hasQuotes))
        }
        var table = Table(names: names, columns: columns)
        table.skippedLines = parsed.flatMap(\.skipped)
        return table
    }

    // MARK: records and fields

    /// The record starting at `from` (skipping blank lines), and where the next one starts.
    func nextRecord(from: Int, line: Int, quoted: Bool) -> (record: Record, next: Int, lines: Int)? {
        var position = from
        var line = line
        while position < bytes.count {
            var end = position
            var lines = 1
            if quoted {
                var inQuotes = false
                while end < bytes.count {
                    let b = bytes[end]
                    if b == quote { inQuotes.toggle() } else if b == newline {
                        if !inQuotes { break }
                        lines += 1
                    }
                    end += 1
                }
            } else {
                while end < bytes.count && bytes[end] != newline { end += 1 }
            }
            var contentEnd = end
            if contentEnd > position && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            let next = min(end + 1, bytes.count)
            if isBlank(position..<contentEnd) {
                position = next
                line += lines
                continue
            }
            return (Record(start: position, end: contentEnd, line: line), next, lines)
        }
        return nil
    }

    func isBlank(_ range: Range<Int>) -> Bool {
        range.allSatisfy { bytes[$0] == UInt8(ascii: " ") || bytes[$0] == UInt8(ascii: "\t") }
    }

    /// Field ranges of a record (quotes kept; see ``string(_:)``).
    func fields(of record: Record, into ranges: inout [Range<Int>]) {
        ranges.removeAll(keepingCapacity: true)
        var start = record.start
        var i = record.start
        var inQuotes = false
        while i < record.end {
            let b = bytes[i]
            if b == quote { inQuotes.toggle() } else if b == options.delimiter && !inQuotes {
                ranges.append(start..<i)
                start = i + 1
            }
            i += 1
        }
        ranges.append(start..<record.end)
    }

    func fields(of record: Record) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        fields(of: record, into: &ranges)
        return ranges
    }

    /// The field without surrounding spaces and quotes.
    func trimmed(_ range: Range<Int>) -> (range: Range<Int>, quoted: Bool) {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper && (bytes[lower] == UInt8(ascii: " ") || bytes[lower] == UInt8(ascii: "\t")) { lower += 1 }
        while upper > lower && (bytes[upper - 1] == UInt8(ascii: " ") || bytes[upper - 1] == UInt8(ascii: "\t")) { upper -= 1 }
        if upper - lower >= 2 && bytes[lower] == quote && bytes[upper - 1] == quote { return (lower + 1..<upper - 1, true) }
        return (lower..<upper, false)
    }

    func string(_ range: Range<Int>) -> String {
        let (inner, quoted) = trimmed(range)
        let field = UnsafeBufferPointer(rebasing: bytes[inner])
        guard quoted, field.contains(quote) else { return String(decoding: field, as: UTF8.self) }
        // A doubled quote inside a quoted field is one quote.
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(field.count)
        var index = field.startIndex
        while index < field.endIndex {
            unescaped.append(field[index])
            index += field[index] == quote && index + 1 < field.endIndex && field[index + 1] == quote ? 2 : 1
        }
        return String(decoding: unescaped, as: UTF8.self)
    }

    func isMissing(_ range: Range<Int>) -> Bool {
        let (inner, _) = trimmed(range)
        if inner.isEmpty { return true }
        // Every missing token starts with a letter; numbers never do.
        guard inner.count <= 4, bytes[inner.lowerBound] | 0x20 >= UInt8(ascii: "a"), bytes[inner.lowerBound] | 0x20 <= UInt8(ascii: "z") else { return false }
        return options.missingTokens.contains(String(decoding: UnsafeBufferPointer(rebasing: bytes[inner]), as: UTF8.self))
    }

    // MARK: chunks

    func lineAlignedChunks(from start: Int) -> [Range<Int>] {
        let threads = Parallel.resolve(threads: options.threads)
        let target = max(1 << 20, (bytes.count - start) / (threads * 4) + 1)
        var chunks: [Range<Int>] = []
        var lower = start
        while lower < bytes.count {
            var upper = min(bytes.count, lower + target)
            while upper < bytes.count && bytes[upper - 1] != newline { upper += 1 }
            chunks.append(lower..<upper)
            lower = upper
        }
        return chunks.isEmpty ? [start..<start] : chunks
    }

    // MARK: parsing

    func parse(chunk: Range<Int>, firstLine: Int, names: [String], quoted: Bool) -> ChunkResult {
        if !quoted { return parseUnquoted(chunk: chunk, firstLine: firstLine, names: names) }
        let columns = names.count
        var result = makeResult(chunk: chunk, columns: columns)
        let parseColumn = names.map { options.kinds[$0] == nil || options.kinds[$0] == .numeric }
        let strict = names.map { options.kinds[$0] == .numeric }
        var ranges: [Range<Int>] = []
        var row = [Float](repeating: .nan, count: columns)
        let powersOfTen = NumberParser.powersOfTen
        var position = chunk.lowerBound
        var line = firstLine
        rows: while position < chunk.upperBound, let found = nextRecord(from: position, line: line, quoted: quoted) {
            guard found.record.start < chunk.upperBound else { break }
            position = found.next
            line = found.record.line + found.lines
            let record = found.record
            fields(of: record, into: &ranges)
            if ranges.count != columns {
                let message = "expected \(columns) fields as in the header, found \(ranges.count)"
                if options.skipBadRows { result.skipped.append(record.line); continue }
                result.error = .malformedRow(file: name, line: record.line, reason: message)
                return result
            }
            for c in 0..<columns where parseColumn[c] {
                if case .number(let value) = numericValue(ranges[c], powersOfTen: powersOfTen) {
                    row[c] = value
                } else if strict[c] {
                    if options.skipBadRows { result.skipped.append(record.line); continue rows }
                    result.error = .badValue(file: name, line: record.line, column: names[c], value: string(ranges[c]), expected: "a number")
                    return result
                } else {
                    result.failed[c] = true
                    row[c] = .nan
                }
            }
            let r = result.records.count
            for c in 0..<columns where parseColumn[c] { result.values[c * result.capacity + r] = row[c] }
            result.records.append(record)
        }
        // Blank lines after the last record still count towards the next chunk's numbering.
        for i in min(position, chunk.upperBound)..<chunk.upperBound where bytes[i] == newline { line += 1 }
        result.lineCount = line - firstLine
        return result
    }

    /// What a field of a numeric-candidate column holds.
    enum FieldValue {
        case number(Float)
        /// Not a number: the column is text or categorical (or, if declared numeric, the row is bad).
        case notANumber
    }

    /// Classifies one field: a number (fast path for fields that start like one), a missing
    /// token (`NaN`), a number after trimming spaces and quotes, or not a number.
    @inline(__always)
    func numericValue(_ range: Range<Int>, powersOfTen: [Double]) -> FieldValue {
        let first = range.isEmpty ? 0 : bytes[range.lowerBound]
        if first &- 48 < 10 || first == UInt8(ascii: "-") || first == UInt8(ascii: "."),
           let value = NumberParser.parse(UnsafeBufferPointer(rebasing: bytes[range]), powersOfTen: powersOfTen) {
            return .number(Float(value))
        }
        if isMissing(range) { return .number(.nan) }
        if let value = NumberParser.parse(UnsafeBufferPointer(rebasing: bytes[trimmed(range).range]), powersOfTen: powersOfTen) {
            return .number(Float(value))
        }
        return .notANumber
    }

    /// An empty result with column storage for every line the chunk can hold.
    func makeResult(chunk: Range<Int>, columns: Int) -> ChunkResult {
        var lines = 1
        if !chunk.isEmpty {
            var p = UnsafeRawPointer(bytes.baseAddress! + chunk.lowerBound)
            let end = UnsafeRawPointer(bytes.baseAddress! + chunk.upperBound)
            while p < end, let hit = memchr(p, Int32(newline), end - p) {
                lines += 1
                p = UnsafeRawPointer(hit) + 1
            }
        }
        return ChunkResult(values: .allocate(capacity: max(1, lines * columns)), capacity: lines,
                           failed: [Bool](repeating: false, count: columns))
    }

    /// The single-pass parser for files without quotes: one scan per line splits fields at
    /// delimiters, and fields that start like a number are parsed on the spot; anything
    /// else (spaces, missing tokens, text) takes the general path of ``parse(chunk:firstLine:names:quoted:)``.
    func parseUnquoted(chunk: Range<Int>, firstLine: Int, names: [String]) -> ChunkResult {
        let columns = names.count
        var result = makeResult(chunk: chunk, columns: columns)
        let values = result.values, capacity = result.capacity
        let parseColumn = names.map { options.kinds[$0] == nil || options.kinds[$0] == .numeric }
        let strict = names.map { options.kinds[$0] == .numeric }
        let powersOfTen = NumberParser.powersOfTen
        let delimiter = options.delimiter
        let newline = self.newline
        let carriageReturn = UInt8(ascii: "\r")
        var line = firstLine
        var p = chunk.lowerBound
        let end = chunk.upperBound
        lines: while p < end {
            let lineStart = p
            var field = 0
            // Written straight into the chunk's columns; a skipped row is overwritten by the next.
            let r = result.records.count
            // The first non-number in a strict numeric column: its field index, or -1.
            var badField = -1
            var badRange = 0..<0
            while true {
                let fieldStart = p
                while p < end {
                    let c = bytes[p]
                    if c == delimiter || c == newline { break }
                    p += 1
                }
                let atLineEnd = p >= end || bytes[p] == newline
                var fieldEnd = p
                if atLineEnd && fieldEnd > fieldStart && bytes[fieldEnd - 1] == carriageReturn { fieldEnd -= 1 }
                if field < columns && parseColumn[field] && badField < 0 {
                    let range = fieldStart..<fieldEnd
                    if case .number(let value) = numericValue(range, powersOfTen: powersOfTen) {
                        values[field * capacity + r] = value
                    } else if strict[field] {
                        badField = field
                        badRange = range
                    } else {
                        result.failed[field] = true
                        values[field * capacity + r] = .nan
                    }
                }
                field += 1
                if atLineEnd {
                    if p < end { p += 1 }
                    break
                }
                p += 1
            }
            defer { line += 1 }
            var contentEnd = p
            if contentEnd > lineStart && bytes[contentEnd - 1] == newline { contentEnd -= 1 }
            if contentEnd > lineStart && bytes[contentEnd - 1] == carriageReturn { contentEnd -= 1 }
            if field != columns || badField >= 0 {
                if isBlank(lineStart..<contentEnd) { continue lines }
                if options.skipBadRows { result.skipped.append(line); continue lines }
                result.error = field != columns
                    ? .malformedRow(file: name, line: line, reason: "expected \(columns) fields as in the header, found \(field)")
                    : .badValue(file: name, line: line, column: names[badField], value: string(badRange), expected: "a number")
                return result
            }
            if columns == 1 && isBlank(lineStart..<contentEnd) { continue lines }
            result.records.append(Record(start: lineStart, end: contentEnd, line: line))
        }
        result.lineCount = line - firstLine
        return result
    }

    /// Reads column `c` again as strings and encodes it as categorical or text.
    func stringColumn(_ c: Int, records: [Record], declared: ColumnKind?, quoted: Bool) -> Column {
        var ranges: [Range<Int>] = []
        var values: [String] = []
        values.reserveCapacity(records.count)
        for record in records {
            fields(of: record, into: &ranges)
            values.append(isMissing(ranges[c]) ? "" : string(ranges[c]))
        }
        let kind = declared ?? inferredKind(values)
        if kind == .text { return .text(values) }
        var codes: [Int32] = []
        codes.reserveCapacity(values.count)
        var levels: [String] = []
        var index: [String: Int32] = [:]
        for value in values {
            if value.isEmpty { codes.append(-1); continue }
            if let code = index[value] { codes.append(code); continue }
            let code = Int32(levels.count)
            index[value] = code
            levels.append(value)
            codes.append(code)
        }
        return .categorical(codes: codes, levels: levels)
    }

    /// Text when values are long and mostly contain spaces (sentences), else categorical.
    func inferredKind(_ values: [String]) -> ColumnKind {
        let present = values.filter { !$0.isEmpty }
        guard !present.isEmpty else { return .categorical }
        let averageLength = Double(present.reduce(0) { $0 + $1.utf8.count }) / Double(present.count)
        let withSpaces = present.filter { $0.contains(" ") }.count
        return averageLength >= 20 && Double(withSpaces) >= 0.5 * Double(present.count) ? .text : .categorical
    }
}
