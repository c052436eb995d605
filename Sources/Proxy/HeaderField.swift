import NIOCore

/// One header line of a request or response head, split into its name and its value (without
/// surrounding whitespace), as ranges in the head's bytes; the checks both framers make.
struct HeaderField {
    let name: Range<Int>
    let value: Range<Int>

    /// Splits `line` (without its line end) of `view`; refuses obsolete line folding and a line without a name.
    init(line: Range<Int>, in view: ByteBufferView) throws(FramingError) {
        guard view[line.lowerBound] != UInt8(ascii: " "), view[line.lowerBound] != UInt8(ascii: "\t") else {
            throw FramingError(reason: "obsolete line folding in a header")
        }
        guard let colon = view[line].firstIndex(of: UInt8(ascii: ":")), colon > line.lowerBound else {
            throw FramingError(reason: "header line without a name")
        }
        var start = colon + 1
        var end = line.upperBound
        while start < end, view[start] == UInt8(ascii: " ") || view[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, view[end - 1] == UInt8(ascii: " ") || view[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        name = line.lowerBound..<colon
        value = start..<end
    }

    /// A `Content-Length` value: 1–18 decimal digits.
    static func contentLength(_ value: ByteBufferView.SubSequence) throws(FramingError) -> Int {
        guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else {
            throw FramingError(reason: "bad Content-Length")
        }
        return value.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}

/// What the `Connection` headers of a head say: `close`, `keep-alive`, and the other names
/// they list, which are hop-by-hop headers too.
struct ConnectionOptions {
    var close = false
    var keepAlive = false
    /// Ranges, in the head's bytes, of the extra header names.
    var names: [Range<Int>] = []

    /// Adds the tokens of one `Connection` header's value.
    mutating func add(_ value: ByteBufferView.SubSequence, in view: ByteBufferView) {
        for token in HeaderName.tokens(in: value) {
            if HeaderName.matches(view[token], "close") { close = true }
            else if HeaderName.matches(view[token], "keep-alive") { keepAlive = true }
            else { names.append(token) }
        }
    }

    /// Removes from `kept` the lines whose header name `Connection` listed (ASCII case-insensitive).
    func dropNamed(from kept: inout [(range: Range<Int>, name: Range<Int>)], in view: ByteBufferView) {
        guard !names.isEmpty else { return }
        kept.removeAll { entry in
            names.contains { view[$0].count == view[entry.name].count && zip(view[$0], view[entry.name]).allSatisfy { $0 | 0x20 == $1 | 0x20 } }
        }
    }
}
