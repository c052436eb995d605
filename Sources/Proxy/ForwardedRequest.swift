import NIOHTTP1

/// The request head sent to a backend, built in one pass over the client's headers: hop-by-hop headers
/// dropped, `X-Request-Id` kept or generated, `X-Forwarded-For` extended, `Content-Length` set from the
/// buffered body. Always HTTP/1.1 keep-alive towards the backend.
struct ForwardedRequest {
    private(set) var head: HTTPRequestHead
    /// The client's `X-Request-Id`, or a generated one; returned to the client in every case.
    let requestID: String
    /// The client's `Content-Length`, when it sent a valid one.
    let declaredLength: Int?
    /// The client sent `Expect: 100-continue` and waits for a 100 before sending its body.
    let expectsContinue: Bool

    init(client: HTTPRequestHead, clientAddress: String?, ids: inout RequestIDGenerator) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(client.headers.count + 3)
        var requestID: String?
        var forwardedFor: String?
        var declaredLength: Int?
        var expectsContinue = false
        var hasHost = false
        var extraHopByHop: [Substring] = []
        for (name, value) in client.headers {
            switch HeaderName.kind(of: name) {
            case .hopByHop:
                continue
            case .connection:
                extraHopByHop.append(contentsOf: HeaderName.connectionTokens(in: value))
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
                if requestID == nil { requestID = value }
            case .host:
                hasHost = true
            case .other:
                break
            }
            headers.add(name: name, value: value)
        }
        for name in extraHopByHop { headers.remove(name: String(name)) }
        let id = requestID ?? ids.next()
        if requestID == nil { headers.add(name: "x-request-id", value: id) }
        if let clientAddress {
            headers.add(name: "x-forwarded-for", value: forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress)
        } else if let forwardedFor {
            headers.add(name: "x-forwarded-for", value: forwardedFor)
        }
        if !hasHost { headers.add(name: "host", value: "localhost") }
        self.head = HTTPRequestHead(version: .http1_1, method: client.method, uri: client.uri, headers: headers)
        self.requestID = id
        self.declaredLength = declaredLength
        self.expectsContinue = expectsContinue
    }

    /// Sets `Content-Length` for the buffered body (omitted for an empty body on methods that usually have none).
    mutating func setBodyLength(_ length: Int) {
        switch head.method {
        case .GET, .HEAD, .DELETE, .OPTIONS, .TRACE:
            if length == 0 { return }
        default:
            break
        }
        head.headers.add(name: "content-length", value: String(length))
    }
}
