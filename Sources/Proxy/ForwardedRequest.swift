import NIOCore

/// The request sent to a backend, written straight to bytes from the client's head: its header lines copied
/// except hop-by-hop ones (and those the client's `Connection` names), `X-Request-Id` kept or generated,
/// `X-Forwarded-For` extended, `Content-Length` set from the buffered body. Always HTTP/1.1 keep-alive towards
/// the backend.
struct ForwardedRequest {
    /// The client's `X-Request-Id`, or a generated one; returned to the client in every case.
    let requestID: String
    /// The client's `Content-Length`, when it sent one.
    let declaredLength: Int?
    /// The client sent `Expect: 100-continue` and waits for a 100 before sending its body.
    let expectsContinue: Bool
    /// A `HEAD` request: its response has no body whatever its headers say.
    let isHead: Bool
    /// A method that usually has no body (`GET`, `HEAD`, `DELETE`, `OPTIONS`, `TRACE`): no `Content-Length: 0`.
    private let bodiless: Bool
    /// The head up to (not including) `Content-Length` and the blank line; completed by ``head(bodyLength:)``.
    private let partialHead: ByteBuffer

    init(client: ClientRequestHead, clientAddress: String?, ids: inout RequestIDGenerator, allocator: ByteBufferAllocator) {
        var out = allocator.buffer(capacity: client.bytes.readableBytes + 96)
        out.writeImmutableBuffer(client.slice(client.method))
        out.writeStaticString(" ")
        out.writeImmutableBuffer(client.slice(client.target))
        out.writeStaticString(" HTTP/1.1\r\n")
        for line in client.forwardedLines {
            out.writeImmutableBuffer(client.slice(line))
            out.writeStaticString("\r\n")
        }
        let id = client.requestID ?? ids.next()
        if client.requestID == nil { Self.write("x-request-id", id, to: &out) }
        if let clientAddress {
            Self.write("x-forwarded-for", client.forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress, to: &out)
        } else if let forwardedFor = client.forwardedFor {
            Self.write("x-forwarded-for", forwardedFor, to: &out)
        }
        if !client.hasHost { Self.write("host", "localhost", to: &out) }
        self.partialHead = out
        self.requestID = id
        if case .length(let length) = client.framing { declaredLength = length } else { declaredLength = nil }
        self.expectsContinue = client.expectsContinue
        isHead = client.methodIs("HEAD")
        bodiless = isHead || client.methodIs("GET") || client.methodIs("DELETE") || client.methodIs("OPTIONS")
            || client.methodIs("TRACE")
    }

    /// The complete head for a buffered body of `length` bytes (no `Content-Length` for an empty body on methods
    /// that usually have none).
    func head(bodyLength length: Int) -> ByteBuffer {
        var head = partialHead
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
