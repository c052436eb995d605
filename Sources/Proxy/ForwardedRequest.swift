import NIOCore
import NIOHTTP1

/// The request sent to a backend, written straight to bytes in one pass over the client's headers: hop-by-hop
/// headers dropped (and those the client's `Connection` names), `X-Request-Id` kept or generated,
/// `X-Forwarded-For` extended, `Content-Length` set from the buffered body. Always HTTP/1.1 keep-alive towards
/// the backend.
struct ForwardedRequest {
    /// The client's `X-Request-Id`, or a generated one; returned to the client in every case.
    let requestID: String
    /// The client's `Content-Length`, when it sent a valid one.
    let declaredLength: Int?
    /// The client sent `Expect: 100-continue` and waits for a 100 before sending its body.
    let expectsContinue: Bool
    let method: HTTPMethod
    /// The head up to (not including) `Content-Length` and the blank line; completed by ``head(bodyLength:)``.
    private let partialHead: ByteBuffer

    init(client: HTTPRequestHead, clientAddress: String?, ids: inout RequestIDGenerator, allocator: ByteBufferAllocator) {
        // Headers the client's Connection names are hop-by-hop too (rare: usually it says only keep-alive/close).
        var extraHopByHop: [Substring] = []
        for (name, value) in client.headers where HeaderName.kind(of: name) == .connection {
            extraHopByHop.append(contentsOf: HeaderName.connectionTokens(in: value))
        }
        var out = allocator.buffer(capacity: 256)
        out.writeString(client.method.rawValue)
        out.writeStaticString(" ")
        out.writeString(client.uri)
        out.writeStaticString(" HTTP/1.1\r\n")
        var requestID: String?
        var forwardedFor: String?
        var declaredLength: Int?
        var expectsContinue = false
        var hasHost = false
        for (name, value) in client.headers {
            switch HeaderName.kind(of: name) {
            case .hopByHop, .connection:
                continue
            case .contentLength:
                declaredLength = Int(value)
                continue
            case .expect:
                expectsContinue = HeaderName.matches(value.utf8, "100-continue")
                continue
            case .forwardedFor:
                forwardedFor = forwardedFor.map { "\($0), \(value)" } ?? value
                continue
            case .requestID:
                if requestID != nil { continue }
                requestID = value
            case .host:
                hasHost = true
            case .other:
                if !extraHopByHop.isEmpty, extraHopByHop.contains(where: { $0.lowercased() == name.lowercased() }) { continue }
            }
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        let id = requestID ?? ids.next()
        if requestID == nil { Self.write("x-request-id", id, to: &out) }
        if let clientAddress {
            Self.write("x-forwarded-for", forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress, to: &out)
        } else if let forwardedFor {
            Self.write("x-forwarded-for", forwardedFor, to: &out)
        }
        if !hasHost { Self.write("host", "localhost", to: &out) }
        self.partialHead = out
        self.requestID = id
        self.declaredLength = declaredLength
        self.expectsContinue = expectsContinue
        self.method = client.method
    }

    /// The complete head for a buffered body of `length` bytes (no `Content-Length` for an empty body on methods
    /// that usually have none).
    func head(bodyLength length: Int) -> ByteBuffer {
        var head = partialHead
        let bodiless: Bool = switch method {
        case .GET, .HEAD, .DELETE, .OPTIONS, .TRACE: true
        default: false
        }
        if length > 0 || !bodiless { Self.write("content-length", String(length), to: &head) }
        head.writeStaticString("\r\n")
        return head
    }

    private static func write(_ name: StaticString, _ value: String, to out: inout ByteBuffer) {
        out.writeStaticString(name)
        out.writeStaticString(": ")
        out.writeString(value)
        out.writeStaticString("\r\n")
    }
}
