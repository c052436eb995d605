import HTTPSupport
import NIOCore
import NIOHTTP1

/// Splits the bytes a client sends into requests: a ``ClientRequestHead``, body slices, the end; requests
/// pipelined on one connection follow each other.
///
/// It replaces NIO's `HTTPRequestDecoder` in front of ``ProxyHandler``: headers are not decoded into objects,
/// only located and classified by their bytes (``HeaderName``), and `Content-Length` bodies are forwarded as
/// slices of the buffers read from the socket. It is strict where a proxy must be (RFC 9112), because a request
/// that the proxy and a backend would frame differently is a request-smuggling vector: lines end in CRLF;
/// no obsolete line folding or whitespace before a header's colon; one `Content-Length` value; a
/// `Transfer-Encoding` other than exactly `chunked`, or together with `Content-Length`, or in HTTP/1.0, is
/// refused. Everything refused is ``Malformed``, answered 400 by the handler, and the connection closes.
struct RequestFramer {
    enum Event {
        case head(ClientRequestHead)
        case body(ByteBuffer)
        case end
    }

    /// Why the client's bytes are not a request the proxy forwards.
    struct Malformed: Error, CustomStringConvertible {
        let reason: String
        var description: String { "malformed request: \(reason)" }
    }

    private enum State {
        case head
        case body(DelimitedBody)
    }

    /// Longest accepted request head (NIO's decoder allowed 80 KiB).
    static let maxHeadBytes = 64 * 1024

    private var state = State.head
    /// Bytes of an incomplete head or line, kept until the rest arrives.
    private var carry = CarriedBytes()

    /// Whether a request is partly received (its head or body incomplete).
    var isMidRequest: Bool {
        if case .head = state { return !carry.isEmpty }
        return true
    }

    /// Consumes `input`, calling `emit` for each event, in order.
    mutating func feed(_ input: ByteBuffer, _ emit: (Event) -> Void) throws(Malformed) {
        var buffer = carry.join(input)
        while buffer.readableBytes > 0 {
            switch state {
            case .head:
                // Empty lines before a request line are ignored (RFC 9112 §2.2).
                while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0A0D {
                    buffer.moveReaderIndex(forwardBy: 2)
                }
                guard buffer.readableBytes > 0 else { return }
                guard let end = try Self.find(crlfcrlf: buffer) else {
                    if buffer.readableBytes > Self.maxHeadBytes { throw Malformed(reason: "head longer than \(Self.maxHeadBytes) bytes") }
                    carry.keep(buffer)
                    return
                }
                guard end <= Self.maxHeadBytes else { throw Malformed(reason: "head longer than \(Self.maxHeadBytes) bytes") }
                let head = try Self.parseHead(buffer.readSlice(length: end)!)
                emit(.head(head))
                switch head.framing {
                case .none, .length(0), .untilClose: emit(.end)
                case .length(let count): state = .body(.length(remaining: count))
                case .chunked: state = .body(.chunked(ChunkedBody(strictLineEnds: true)))
                }
            case .body(var body):
                let ended: Bool
                do { ended = try body.consume(&buffer) { emit(.body($0)) } } catch { throw Malformed(reason: error.reason) }
                guard ended else {
                    state = .body(body)
                    carry.keep(buffer)
                    return
                }
                state = .head
                emit(.end)
            }
        }
    }

    // MARK: Parsing

    /// Offset just past the first CRLFCRLF in the readable bytes. A line ending in a bare LF is refused as soon as
    /// it arrives: waiting for a CRLFCRLF that a client ending lines in LF never sends would hold the connection.
    private static func find(crlfcrlf buffer: ByteBuffer) throws(Malformed) -> Int? {
        let found = buffer.withUnsafeReadableBytes { bytes -> Int?? in
            var index = 0
            while let newline = bytes.firstIndex(of: UInt8(ascii: "\n"), in: index..<bytes.count) {
                guard newline > 0, bytes[newline - 1] == UInt8(ascii: "\r") else { return .some(nil) }
                if newline + 2 < bytes.count, bytes[newline + 1] == UInt8(ascii: "\r"), bytes[newline + 2] == UInt8(ascii: "\n") {
                    return newline + 3
                }
                index = newline + 1
            }
            return nil
        }
        switch found {
        case .none: return nil
        case .some(.none): throw Malformed(reason: "line not ending in CRLF")
        case .some(.some(let end)): return end
        }
    }

    /// RFC 9110 `tchar`: the characters of methods and header names.
    private static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func parseHead(_ bytes: ByteBuffer) throws(Malformed) -> ClientRequestHead {
        try bytes.withUnsafeReadableBytes { raw in
            Result { () throws(Malformed) in try parseHead(raw, of: bytes) }
        }.get()
    }

    /// Parses `raw`, the readable bytes of `bytes`, in one pass over its lines.
    private static func parseHead(_ raw: HeadBytes, of bytes: ByteBuffer) throws(Malformed) -> ClientRequestHead {
        var requestLine: (method: Range<Int>, target: Range<Int>, version: HTTPVersion)?
        var kept: [Range<Int>] = []
        kept.reserveCapacity(16)
        var length: Int?
        var transferEncoded = false
        var chunked = false
        var connection = ConnectionOptions()
        var requestID: String?
        var forwardedFor: String?
        var expectsContinue = false
        var hasHost = false
        // Lines without their CRLF; the head ends with an empty line.
        var start = 0
        while let index = raw.firstIndex(of: UInt8(ascii: "\n"), in: start..<raw.count) {
            guard index > start, raw[index - 1] == UInt8(ascii: "\r") else { throw Malformed(reason: "line not ending in CRLF") }
            let lineRange = start..<(index - 1)
            start = index + 1
            if lineRange.isEmpty { continue }
            guard requestLine != nil else {
                requestLine = try Self.requestLine(lineRange, in: raw)
                continue
            }
            let field: HeaderField
            do { field = try HeaderField(line: lineRange, in: raw) } catch { throw Malformed(reason: error.reason) }
            let name = raw[field.name]
            guard name.allSatisfy(isToken) else {
                throw Malformed(reason: "bad header name (whitespace before the colon, folding, or a forbidden character)")
            }
            let value = raw[field.value]
            guard !value.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else {
                throw Malformed(reason: "control character in a header value")
            }
            switch HeaderName.kind(ofBytes: name) {
            case .connection:
                connection.add(value, in: raw)
            case .hopByHop:
                if HeaderName.matches(name, "transfer-encoding") {
                    guard !transferEncoded else { throw Malformed(reason: "more than one Transfer-Encoding header") }
                    transferEncoded = true
                    let codings = HeaderName.tokens(in: value)
                    chunked = codings.count == 1 && HeaderName.matches(raw[codings[0]], "chunked")
                }
            case .contentLength:
                let parsed: Int
                do { parsed = try HeaderField.contentLength(value, agreeingWith: length) } catch { throw Malformed(reason: error.reason) }
                length = parsed
            case .expect:
                expectsContinue = HeaderName.matches(value, "100-continue")
            case .forwardedFor:
                let text = String(decoding: value, as: UTF8.self)
                forwardedFor = forwardedFor.map { "\($0), \(text)" } ?? text
            case .requestID:
                // An id outside RequestID's charset or length is dropped, and one is made.
                if requestID == nil, RequestID.isAcceptable(value) {
                    requestID = String(decoding: value, as: UTF8.self)
                    kept.append(lineRange)
                }
            case .host:
                hasHost = true
                kept.append(lineRange)
            case .other:
                kept.append(lineRange)
            }
        }
        guard let requestLine else { throw Malformed(reason: "empty head") }
        let http11 = requestLine.version == .http1_1
        if transferEncoded {
            guard http11 else { throw Malformed(reason: "Transfer-Encoding in an HTTP/1.0 request") }
            guard chunked else { throw Malformed(reason: "Transfer-Encoding other than chunked") }
            guard length == nil else { throw Malformed(reason: "both Content-Length and Transfer-Encoding") }
        }
        connection.dropNamed(from: &kept, in: raw)
        let framing: BodyFraming = chunked ? .chunked : length.map { .length($0) } ?? .none
        return ClientRequestHead(
            bytes: bytes, method: requestLine.method, knownMethod: ClientRequestHead.KnownMethod(raw[requestLine.method]),
            target: requestLine.target, version: requestLine.version,
            keepAlive: !connection.close && (http11 || connection.keepAlive), framing: framing, forwardedLines: kept,
            requestID: requestID, forwardedFor: forwardedFor, expectsContinue: expectsContinue, hasHost: hasHost
        )
    }

    /// `method SP request-target SP HTTP/1.x`: the method's and target's ranges, and the version.
    private static func requestLine(_ range: Range<Int>, in raw: HeadBytes) throws(Malformed) -> (method: Range<Int>, target: Range<Int>, version: HTTPVersion) {
        let line = raw[range]
        guard let firstSpace = line.firstIndex(of: UInt8(ascii: " ")), firstSpace > range.lowerBound,
              raw[range.lowerBound..<firstSpace].allSatisfy(isToken) else {
            throw Malformed(reason: "bad method in the request line")
        }
        guard let lastSpace = line.lastIndex(of: UInt8(ascii: " ")), lastSpace > firstSpace + 1 else {
            throw Malformed(reason: "bad request line")
        }
        let target = (firstSpace + 1)..<lastSpace
        guard raw[target].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { throw Malformed(reason: "bad request target") }
        let versionBytes = raw[(lastSpace + 1)..<range.upperBound]
        let version: HTTPVersion
        if versionBytes.elementsEqual("HTTP/1.1".utf8) {
            version = .http1_1
        } else if versionBytes.elementsEqual("HTTP/1.0".utf8) {
            version = .http1_0
        } else {
            throw Malformed(reason: "unsupported HTTP version (HTTP/1.0 and HTTP/1.1 are served)")
        }
        return (range.lowerBound..<firstSpace, target, version)
    }
}
