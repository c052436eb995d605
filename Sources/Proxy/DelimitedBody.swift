import NIOCore

/// A body whose end its head declares: `Content-Length` bytes, or the chunked coding. Read
/// the same way for requests and responses; slices of the input are passed on, not copied.
enum DelimitedBody {
    case length(remaining: Int)
    case chunked(ChunkedBody)

    /// Reads from `buffer`, passing body bytes to `emit`, until the body ends (true) or the bytes
    /// run out (false; what is left of `buffer`, possibly empty, is the start of a chunk line
    /// to read again with more bytes).
    mutating func consume(_ buffer: inout ByteBuffer, emit: (ByteBuffer) -> Void) throws(FramingError) -> Bool {
        switch self {
        case .length(let remaining):
            let count = min(remaining, buffer.readableBytes)
            if count > 0 { emit(buffer.readSlice(length: count)!) }
            self = .length(remaining: remaining - count)
            return count == remaining
        case .chunked(var body):
            let ended = try body.consume(&buffer, emit: emit)
            self = .chunked(body)
            return ended
        }
    }
}
