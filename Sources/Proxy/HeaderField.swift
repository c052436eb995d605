/// One header line of a request or response head, split into its name and its value (without
/// surrounding whitespace), as ranges in the head's bytes; the checks both framers make.
struct HeaderField {
    let name: Range<Int>
    let value: Range<Int>

    /// Splits `line` (without its line end) of `bytes`; refuses obsolete line folding and a line without a name.
    init(line: Range<Int>, in bytes: HeadBytes) throws(FramingError) {
        guard bytes[line.lowerBound] != UInt8(ascii: " "), bytes[line.lowerBound] != UInt8(ascii: "\t") else {
            throw FramingError(reason: "obsolete line folding in a header")
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":"), in: line), colon > line.lowerBound else {
            throw FramingError(reason: "header line without a name")
        }
        var start = colon + 1
        var end = line.upperBound
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        name = line.lowerBound..<colon
        value = start..<end
    }

    /// The name's range of a line already accepted by ``init(line:in:)``.
    static func name(ofLine line: Range<Int>, in bytes: HeadBytes) -> Range<Int> {
        line.lowerBound..<(bytes.firstIndex(of: UInt8(ascii: ":"), in: line) ?? line.upperBound)
    }

    /// A `Content-Length` value: 1–18 decimal digits, equal to `earlier`, the value of a previous
    /// `Content-Length` header of the same head, if there was one.
    static func contentLength(_ value: Slice<HeadBytes>, agreeingWith earlier: Int?) throws(FramingError) -> Int {
        guard !value.isEmpty, value.count <= 18 else { throw FramingError(reason: "bad Content-Length") }
        var length = 0
        for byte in value {
            guard byte &- UInt8(ascii: "0") < 10 else { throw FramingError(reason: "bad Content-Length") }
            length = length * 10 + Int(byte &- UInt8(ascii: "0"))
        }
        if let earlier, earlier != length { throw FramingError(reason: "conflicting Content-Length headers") }
        return length
    }
}
