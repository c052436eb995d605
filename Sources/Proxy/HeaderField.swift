#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A head's bytes while it is parsed: the readable bytes of its buffer, indexed from 0. The framers parse inside
/// `withUnsafeReadableBytes`, so reading a byte is a load, with no reference counting and no bounds checks
/// beyond the ones made explicitly.
typealias HeadBytes = UnsafeRawBufferPointer

extension UnsafeRawBufferPointer {
    /// The index of the first `byte` in `range` (with `memchr`, which compares many bytes at a time).
    func firstIndex(of byte: UInt8, in range: Range<Int>) -> Int? {
        guard !range.isEmpty, let base = baseAddress,
              let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}

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

    /// A `Content-Length` value: 1–18 decimal digits.
    static func contentLength(_ value: Slice<HeadBytes>) throws(FramingError) -> Int {
        guard !value.isEmpty, value.count <= 18 else { throw FramingError(reason: "bad Content-Length") }
        var length = 0
        for byte in value {
            guard byte &- UInt8(ascii: "0") < 10 else { throw FramingError(reason: "bad Content-Length") }
            length = length * 10 + Int(byte &- UInt8(ascii: "0"))
        }
        return length
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
    mutating func add(_ value: Slice<HeadBytes>, in bytes: HeadBytes) {
        for token in HeaderName.tokens(in: value) {
            if HeaderName.matches(bytes[token], "close") { close = true }
            else if HeaderName.matches(bytes[token], "keep-alive") { keepAlive = true }
            else { names.append(token) }
        }
    }

    /// Removes from `kept` (header lines, as ranges of `bytes`) those whose name `Connection` listed (ASCII
    /// case-insensitive).
    func dropNamed(from kept: inout [Range<Int>], in bytes: HeadBytes) {
        guard !names.isEmpty else { return }
        kept.removeAll { line in
            let name = bytes[HeaderField.name(ofLine: line, in: bytes)]
            return names.contains { bytes[$0].count == name.count && zip(bytes[$0], name).allSatisfy { $0 | 0x20 == $1 | 0x20 } }
        }
    }
}
