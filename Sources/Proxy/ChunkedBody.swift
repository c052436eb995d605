import NIOCore

/// The chunked transfer coding (RFC 9112 §7.1) of one body, de-chunked step by step: chunk-size lines
/// (extensions ignored), the data as slices of the input, the CRLF after each chunk, and the trailer section,
/// whose fields are dropped. Shared by ``RequestFramer`` and ``ResponseFramer``.
struct ChunkedBody {
    /// What one step found.
    private enum Step {
        /// The input ends inside a line: keep the rest of the buffer and step again with more bytes.
        case incomplete
        /// Chunk data.
        case body(ByteBuffer)
        /// The body (and its trailers) ended.
        case end
        /// A size line or chunk end was read; step again.
        case next
    }

    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    /// Longest accepted chunk-size or trailer line.
    static let maxLineBytes = 4 * 1024

    private var state = State.size
    /// Lines must end in CRLF (requests); otherwise a bare LF also ends a line (responses, as clients accept).
    let strictLineEnds: Bool

    init(strictLineEnds: Bool) {
        self.strictLineEnds = strictLineEnds
    }

    /// Consumes what the next step needs from `buffer` (which has readable bytes).
    private mutating func step(_ buffer: inout ByteBuffer) throws(FramingError) -> Step {
        switch state {
        case .size:
            guard let line = try readLine(&buffer) else { return .incomplete }
            let size = try Self.chunkSize(line)
            state = size == 0 ? .trailers : .data(remaining: size)
            return .next
        case .data(let remaining):
            let count = min(remaining, buffer.readableBytes)
            state = count == remaining ? .dataEnd : .data(remaining: remaining - count)
            return .body(buffer.readSlice(length: count)!)
        case .dataEnd:
            guard let line = try readLine(&buffer) else { return .incomplete }
            guard line.readableBytes == 0 else { throw FramingError(reason: "chunk data longer than its size") }
            state = .size
            return .next
        case .trailers:
            guard let line = try readLine(&buffer) else { return .incomplete }
            return line.readableBytes == 0 ? .end : .next
        }
    }

    /// Steps through `buffer`, passing chunk data to `emit`, until the body ends (true) or the bytes run out
    /// (false; what is left of `buffer`, possibly empty, is the start of a line to step again with more bytes).
    mutating func consume(_ buffer: inout ByteBuffer, emit: (ByteBuffer) -> Void) throws(FramingError) -> Bool {
        while buffer.readableBytes > 0 {
            switch try step(&buffer) {
            case .incomplete: return false
            case .body(let part): emit(part)
            case .next: continue
            case .end: return true
            }
        }
        return false
    }

    /// A line without its line end; nil, consuming nothing, if the buffer ends first.
    private func readLine(_ buffer: inout ByteBuffer) throws(FramingError) -> ByteBuffer? {
        let newline = buffer.withUnsafeReadableBytes { $0.firstIndex(of: UInt8(ascii: "\n"), in: 0..<$0.count) }
        guard let newline else {
            if buffer.readableBytes > Self.maxLineBytes { throw FramingError(reason: "line longer than \(Self.maxLineBytes) bytes") }
            return nil
        }
        let crlf = newline > 0 && buffer.getInteger(at: buffer.readerIndex + newline - 1, as: UInt8.self) == UInt8(ascii: "\r")
        if strictLineEnds && !crlf { throw FramingError(reason: "line not ending in CRLF") }
        var line = buffer.readSlice(length: newline + 1)!
        line.moveWriterIndex(to: line.writerIndex - (crlf ? 2 : 1))
        return line
    }

    /// The hexadecimal size at the start of a chunk-size line (extensions after `;`, with optional whitespace
    /// before it, are ignored).
    private static func chunkSize(_ line: ByteBuffer) throws(FramingError) -> Int {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw FramingError(reason: "chunk size missing") }
                return size
            default: throw FramingError(reason: "bad chunk size")
            }
            digits += 1
            guard digits <= 15 else { throw FramingError(reason: "chunk size too large") }
            size = size * 16 + value
        }
        guard digits > 0 else { throw FramingError(reason: "chunk size missing") }
        return size
    }
}
