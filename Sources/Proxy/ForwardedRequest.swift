import NIOCore

/// The request sent to a backend, written straight to bytes from the client's head: its header lines copied
/// except hop-by-hop ones (and those the client's `Connection` names), `X-Request-Id` kept or generated,
/// `X-Forwarded-For` extended, `Content-Length` set from the buffered body. Always HTTP/1.1 keep-alive towards
/// the backend. A small body is copied behind the head, so that the request is one write to the backend.
struct ForwardedRequest {
    /// Bodies up to this size are sent in the head's buffer; larger ones as their own write.
    static let inlineBodyBytes = 16 * 1024

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
    /// The head up to (not including) `Content-Length` and the blank line; completed by ``message(body:)``.
    private var partialHead: ByteBuffer

    init(client: ClientRequestHead, clientAddress: String?, ids: inout RequestIDGenerator, allocator: ByteBufferAllocator) {
        var inlineBody = 0
        if case .length(let length) = client.framing, length <= Self.inlineBodyBytes { inlineBody = length }
        // Room for the added headers, and for a body that will be copied in.
        var out = allocator.buffer(capacity: client.bytes.readableBytes + 192 + inlineBody)
        client.bytes.withUnsafeReadableBytes { raw in
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[client.method]))
            out.writeStaticString(" ")
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[client.target]))
            out.writeStaticString(" HTTP/1.1\r\n")
            for line in client.forwardedLines {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[line]))
                out.writeStaticString("\r\n")
            }
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
        isHead = client.knownMethod == .head
        bodiless = client.knownMethod.isBodiless
    }

    /// The bytes to send for the buffered `body`: the head completed with its `Content-Length` (none for an empty
    /// body on methods that usually have none), followed by the body when it is at most ``inlineBodyBytes``;
    /// a larger body is returned apart. Called once: the head is completed in place.
    mutating func message(body: ByteBuffer?) -> (head: ByteBuffer, body: ByteBuffer?) {
        let length = body?.readableBytes ?? 0
        if length > 0 || !bodiless { Self.write("content-length", String(length), to: &partialHead) }
        partialHead.writeStaticString("\r\n")
        guard let body, length > 0 else { return (partialHead, nil) }
        guard length <= Self.inlineBodyBytes else { return (partialHead, body) }
        partialHead.writeImmutableBuffer(body)
        return (partialHead, nil)
    }

    private static func write(_ name: StaticString, _ value: String, to out: inout ByteBuffer) {
        out.writeStaticString(name)
        out.writeStaticString(": ")
        out.writeString(value)
        out.writeStaticString("\r\n")
    }
}
