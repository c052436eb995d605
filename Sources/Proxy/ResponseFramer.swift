import NIOCore

/// Splits the bytes a backend sends into responses: a ``BackendResponseHead``, body slices, the end.
///
/// The proxy's response path does not decode headers into objects: it finds the head's end, reads the status
/// line, classifies each header name by its bytes (``HeaderName``), and forwards the body as slices of the
/// buffers read from the socket (no copies for `Content-Length` bodies). Chunked bodies are de-chunked here;
/// the client side re-frames them. Interim 1xx responses are skipped.
///
/// Responses to pipelined requests follow each other: each ``expectResponse(toHead:)`` announces one more, and
/// the bytes after the end of one response are the start of the next.
struct ResponseFramer {
    enum Event {
        case head(BackendResponseHead)
        case body(ByteBuffer)
        case end
    }

    /// Why the backend's bytes are not a valid HTTP/1.x response.
    struct Malformed: Error, CustomStringConvertible {
        let reason: String
        var description: String { "malformed response from the backend: \(reason)" }
    }

    private enum State {
        case head
        case body(DelimitedBody)
        case untilClose
        /// Every expected response ended; more bytes before the next request are an error.
        case done
    }

    /// Longest accepted response head.
    static let maxHeadBytes = 64 * 1024

    private var state = State.done
    /// Bytes of an incomplete head or line, kept until the rest arrives.
    private var carry = CarriedBytes()
    /// Whether the current response answers a `HEAD` request.
    private var requestIsHead = false
    /// The same for the responses expected after the current one (pipelined requests), in order.
    private var later = CircularBuffer<Bool>()

    /// Expects the response to a new request, after those already expected (`HEAD` responses have no body
    /// whatever their headers say).
    mutating func expectResponse(toHead: Bool) {
        guard case .done = state else { return later.append(toHead) }
        state = .head
        carry.clear()
        requestIsHead = toHead
    }

    /// The current response ended: the next expected one starts, if any.
    private mutating func nextResponse() {
        if let toHead = later.popFirst() {
            state = .head
            requestIsHead = toHead
        } else {
            state = .done
        }
    }

    /// Consumes `input`, calling `emit` for each event, in order.
    mutating func feed(_ input: ByteBuffer, _ emit: (Event) -> Void) throws(Malformed) {
        var buffer = carry.join(input)
        while buffer.readableBytes > 0 {
            switch state {
            case .head:
                guard let end = Self.find(crlfcrlf: buffer) else {
                    if buffer.readableBytes > Self.maxHeadBytes { throw Malformed(reason: "head longer than \(Self.maxHeadBytes) bytes") }
                    carry.keep(buffer)
                    return
                }
                let bytes = buffer.readSlice(length: end)!
                let head = try parseHead(bytes)
                if (100..<200).contains(head.status) { continue }  // interim; the real head follows
                emit(.head(head))
                switch head.framing {
                case .none, .length(0):
                    nextResponse()
                    emit(.end)
                case .length(let count): state = .body(.length(remaining: count))
                case .chunked: state = .body(.chunked(ChunkedBody(strictLineEnds: false)))
                case .untilClose: state = .untilClose
                }
            case .body(var body):
                let ended: Bool
                do { ended = try body.consume(&buffer) { emit(.body($0)) } } catch { throw Malformed(reason: error.reason) }
                guard ended else {
                    state = .body(body)
                    carry.keep(buffer)
                    return
                }
                nextResponse()
                emit(.end)
            case .untilClose:
                emit(.body(buffer.readSlice(length: buffer.readableBytes)!))
            case .done:
                throw Malformed(reason: "\(buffer.readableBytes) bytes after the end of the response")
            }
        }
    }

    /// The backend closed the connection. Returns true if that ends the current body (one delimited by the
    /// close); a response cut short any other way is the caller's failure to report.
    mutating func endOfInput() -> Bool {
        guard case .untilClose = state else { return false }
        nextResponse()
        return true
    }

    // MARK: Parsing

    /// Offset just past the first CRLFCRLF (or LFLF) in the readable bytes.
    private static func find(crlfcrlf buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            var index = 0
            while let newline = bytes.firstIndex(of: UInt8(ascii: "\n"), in: index..<bytes.count) {
                let next = newline + 1
                if next < bytes.count, bytes[next] == UInt8(ascii: "\n") { return next + 1 }
                if next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\r"), bytes[next + 1] == UInt8(ascii: "\n") { return next + 2 }
                index = next
            }
            return nil
        }
    }

    private func parseHead(_ bytes: ByteBuffer) throws(Malformed) -> BackendResponseHead {
        try bytes.withUnsafeReadableBytes { raw in
            Result { () throws(Malformed) in try parseHead(raw, of: bytes) }
        }.get()
    }

    /// Parses `raw`, the readable bytes of `bytes`, in one pass over its lines.
    private func parseHead(_ raw: HeadBytes, of bytes: ByteBuffer) throws(Malformed) -> BackendResponseHead {
        var statusLine: (status: Int, reason: Range<Int>, http11: Bool)?
        var kept: [Range<Int>] = []
        kept.reserveCapacity(16)
        var length: Int?
        var chunked = false
        var transferEncoded = false
        var connection = ConnectionOptions()
        // Lines, without their line ends (LF or CRLF).
        var start = 0
        while let index = raw.firstIndex(of: UInt8(ascii: "\n"), in: start..<raw.count) {
            var end = index
            if end > start, raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let lineRange = start..<end
            start = index + 1
            if lineRange.isEmpty { continue }
            guard statusLine != nil else {
                statusLine = try Self.statusLine(lineRange, in: raw)
                continue
            }
            let field: HeaderField
            do { field = try HeaderField(line: lineRange, in: raw) } catch { throw Malformed(reason: error.reason) }
            let name = raw[field.name]
            guard !name.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) else {
                throw Malformed(reason: "whitespace in a header name")
            }
            let value = raw[field.value]
            switch HeaderName.kind(ofBytes: name) {
            case .connection:
                connection.add(value, in: raw)
            case .hopByHop:
                if HeaderName.matches(name, "transfer-encoding") {
                    transferEncoded = true
                    let codings = HeaderName.tokens(in: value)
                    chunked = codings.last.map { HeaderName.matches(raw[$0], "chunked") } ?? false
                }
            case .requestID:
                continue
            case .contentLength:
                let parsed: Int
                do { parsed = try HeaderField.contentLength(value, agreeingWith: length) } catch { throw Malformed(reason: error.reason) }
                if length == nil { kept.append(lineRange) }
                length = parsed
            case .forwardedFor, .expect, .host, .other:
                kept.append(lineRange)
            }
        }
        guard let statusLine else { throw Malformed(reason: "empty head") }
        let status = statusLine.status
        // Headers named in Connection are hop-by-hop too.
        connection.dropNamed(from: &kept, in: raw)
        let framing: BodyFraming
        if requestIsHead || status < 200 || status == 204 || status == 304 {
            framing = .none
        } else if transferEncoded {
            framing = chunked ? .chunked : .untilClose
        } else if let length {
            framing = .length(length)
        } else {
            framing = .untilClose
        }
        if transferEncoded {  // a Content-Length next to Transfer-Encoding is ignored, never forwarded
            kept.removeAll { HeaderName.kind(ofBytes: raw[HeaderField.name(ofLine: $0, in: raw)]) == .contentLength }
        }
        let keepAlive = framing != .untilClose && !connection.close && (statusLine.http11 || connection.keepAlive)
        return BackendResponseHead(
            bytes: bytes, status: status, reason: statusLine.reason, forwardedLines: kept, keepAlive: keepAlive, framing: framing
        )
    }

    /// `HTTP/1.x SP 3DIGIT [SP reason]`: the status, the reason phrase's range (possibly empty), and whether the
    /// backend speaks HTTP/1.1.
    private static func statusLine(_ range: Range<Int>, in raw: HeadBytes) throws(Malformed) -> (status: Int, reason: Range<Int>, http11: Bool) {
        let line = raw[range]
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8),
              let minor = line.dropFirst(7).first, minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1"),
              line.dropFirst(8).first == UInt8(ascii: " ") else {
            throw Malformed(reason: "bad status line")
        }
        var status = 0
        for byte in line.dropFirst(9).prefix(3) {
            guard byte &- UInt8(ascii: "0") < 10 else { throw Malformed(reason: "bad status code") }
            status = status * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard status >= 100, line.count == 12 || line.dropFirst(12).first == UInt8(ascii: " ") else {
            throw Malformed(reason: "bad status code")
        }
        return (status, min(range.lowerBound + 13, range.upperBound)..<range.upperBound, minor == UInt8(ascii: "1"))
    }
}
