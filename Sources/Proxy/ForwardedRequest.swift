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

    /// Writes the head into `buffer`, an empty buffer (a connection hands the same storage to each of its requests).
    init(client: ClientRequestHead, clientAddress: String?, ids: inout RequestIDGenerator, buffer: ByteBuffer) {
        var inlineBody = 0
        if case .length(let length) = client.framing, length <= Self.inlineBodyBytes { inlineBody = length }
        let id = client.requestID ?? ids.next()
        let forwardedFor: String? = if let clientAddress {
            client.forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress
        } else {
            client.forwardedFor
        }
        // The request line and forwarded lines are at most the client's head; then the added lines.
        let headBound = client.bytes.readableBytes + id.utf8.count + (forwardedFor?.utf8.count ?? 0) + 128
        var out = buffer
        // Room for the rest of the head (Content-Length, blank line) and for a body that will be copied in.
        out.reserveCapacity(minimumWritableBytes: headBound + 64 + inlineBody)
        client.bytes.withUnsafeReadableBytes { raw in
            HeadWriter.write(into: &out, capacity: headBound) { head in
                head.append(raw, client.method)
                head.append(" ")
                head.append(raw, client.target)
                head.append(" HTTP/1.1\r\n")
                head.appendLines(raw, client.forwardedLines)
                if client.requestID == nil { head.appendField("x-request-id", id) }
                if let forwardedFor { head.appendField("x-forwarded-for", forwardedFor) }
                if !client.hasHost { head.append("host: localhost\r\n") }
            }
        }
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
        let statesLength = length > 0 || !bodiless
        HeadWriter.write(into: &partialHead, capacity: 20 + HeadWriter.maxDecimalDigits) { head in
            if statesLength {
                head.append("content-length: ")
                head.append(decimal: length)
                head.append("\r\n")
            }
            head.append("\r\n")
        }
        guard let body, length > 0 else { return (partialHead, nil) }
        guard length <= Self.inlineBodyBytes else { return (partialHead, body) }
        partialHead.writeImmutableBuffer(body)
        return (partialHead, nil)
    }
}
