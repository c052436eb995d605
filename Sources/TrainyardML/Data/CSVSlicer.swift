/// Cuts a CSV file's bytes into slices of whole records for parallel work: the header line, then
/// consecutive slices of about `target` bytes each ending at a line break that is not inside a
/// quoted field, so every slice parses on its own under the same header.
public enum CSVSlicer {
    /// A slice: its bytes and the 1-based line number of its first line in the file.
    public struct Slice: Sendable, Equatable {
        public var range: Range<Int>
        public var firstLine: Int
    }

    /// The header (without its line break) and the slices of `bytes`; `nil` when there is no header line.
    public static func slices(_ bytes: [UInt8], target: Int) -> (header: Range<Int>, slices: [Slice])? {
        bytes.withUnsafeBufferPointer { buffer in
            let newline = UInt8(ascii: "\n"), quote = UInt8(ascii: "\"")
            guard let headerEnd = buffer.firstIndex(of: newline) else { return nil }
            var header = 0..<headerEnd
            if headerEnd > 0 && buffer[headerEnd - 1] == UInt8(ascii: "\r") { header = 0..<(headerEnd - 1) }
            var slices: [Slice] = []
            var start = headerEnd + 1, line = 2, linesInSlice = 0, quoted = false
            var index = start
            let size = max(1, target)
            while index < buffer.count {
                let byte = buffer[index]
                if byte == quote {
                    quoted.toggle()
                } else if byte == newline {
                    linesInSlice += 1
                    if !quoted && index + 1 - start >= size {
                        slices.append(Slice(range: start..<(index + 1), firstLine: line))
                        line += linesInSlice
                        linesInSlice = 0
                        start = index + 1
                    }
                }
                index += 1
            }
            if start < buffer.count, buffer[start..<buffer.count].contains(where: { $0 != newline && $0 != UInt8(ascii: "\r") }) {
                slices.append(Slice(range: start..<buffer.count, firstLine: line))
            }
            return (header, slices)
        }
    }
}
