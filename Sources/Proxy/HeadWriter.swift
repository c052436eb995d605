import NIOCore

/// Writes the pieces of a message head into memory reserved once in a `ByteBuffer`.
///
/// Each `writeString`/`writeBytes` on a `ByteBuffer` checks its capacity, checks it owns its storage and takes
/// an exclusive access to it; a head written piece by piece paid that some twenty times. Here it is paid once
/// per head, and each piece is a `memcpy`.
struct HeadWriter: ~Copyable {
    private let start: UnsafeMutableRawPointer
    private let capacity: Int
    private var count = 0

    private init(_ raw: UnsafeMutableRawBufferPointer) {
        start = raw.baseAddress!
        capacity = raw.count
    }

    /// Lets `write` append at most `capacity` bytes at `buffer`'s writer index, and moves the index past them.
    /// Appending more than `capacity` bytes is a programming error and traps.
    static func write(into buffer: inout ByteBuffer, capacity: Int, _ write: (inout HeadWriter) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { raw in
            var writer = HeadWriter(raw)
            write(&writer)
            return writer.count
        }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(count + bytes.count <= capacity, "HeadWriter: head longer than the space reserved for it")
        (start + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// The bytes of `raw` in `range`.
    mutating func append(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) {
        append(UnsafeRawBufferPointer(rebasing: raw[range]))
    }

    /// Each of `lines` (ranges of `raw`, without their line ends) followed by CRLF.
    mutating func appendLines(_ raw: UnsafeRawBufferPointer, _ lines: [Range<Int>]) {
        for line in lines {
            append(raw, line)
            append("\r\n")
        }
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// A non-negative integer in decimal.
    mutating func append(decimal value: Int) {
        precondition(value >= 0)
        var digits = 1
        var rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        precondition(count + digits <= capacity, "HeadWriter: head longer than the space reserved for it")
        var value = value
        for index in stride(from: count + digits - 1, through: count, by: -1) {
            start.storeBytes(of: UInt8(truncatingIfNeeded: 48 + value % 10), toByteOffset: index, as: UInt8.self)
            value /= 10
        }
        count += digits
    }

    /// `name: value` and CRLF.
    mutating func appendField(_ name: StaticString, _ value: String) {
        append(name)
        append(": ")
        append(value)
        append("\r\n")
    }

    /// The most bytes ``append(decimal:)`` writes for an `Int`.
    static let maxDecimalDigits = 19
}
