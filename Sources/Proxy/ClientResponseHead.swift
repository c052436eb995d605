import NIOHTTP1

/// The response head sent to the client for a backend's response: hop-by-hop headers dropped,
/// `X-Request-Id` set, `Connection` chosen by the proxy.
enum ClientResponseHead {
    /// - Parameter keepAlive: whether the client connection stays open; cleared when the response has no
    ///   length and the client speaks HTTP/1.0 (the end of the body is then marked by closing).
    static func make(from backend: HTTPResponseHead, requestID: String, version: HTTPVersion, keepAlive: inout Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(backend.headers.count + 2)
        var hasLength = false
        var extraHopByHop: [Substring] = []
        for (name, value) in backend.headers {
            switch HeaderName.kind(of: name) {
            case .hopByHop, .requestID:
                continue
            case .connection:
                extraHopByHop.append(contentsOf: HeaderName.connectionTokens(in: value))
                continue
            case .contentLength:
                hasLength = true
            case .forwardedFor, .expect, .host, .other:
                break
            }
            headers.add(name: name, value: value)
        }
        for name in extraHopByHop { headers.remove(name: String(name)) }
        headers.add(name: "x-request-id", value: requestID)
        if version.major == 1 && version.minor == 0 {
            if !hasLength { keepAlive = false }
            if keepAlive { headers.add(name: "connection", value: "keep-alive") }
        }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        return HTTPResponseHead(version: version, status: backend.status, headers: headers)
    }
}
