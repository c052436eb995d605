import NIOCore

/// How the end of a backend response's body is found (RFC 9112 §6.3).
enum BodyFraming: Equatable {
    /// No body: 1xx, 204, 304, or the answer to a HEAD request.
    case none
    /// `Content-Length` bytes.
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
    /// Neither: the body ends when the backend closes the connection.
    case untilClose
}

/// A backend's response head, parsed only as far as the proxy needs: the status, whether the connection stays
/// open, how the body ends, and which header lines are forwarded as they are.
struct BackendResponseHead {
    /// The head's bytes, from the status line to the blank line.
    let bytes: ByteBuffer
    let status: Int
    /// The reason phrase's range in ``bytes`` (possibly empty).
    let reason: Range<Int>
    /// The lines (`name: value`, without CRLF) to forward verbatim, as ranges in ``bytes``: everything except
    /// hop-by-hop headers (`Connection` and the headers it names, `Keep-Alive`, `Transfer-Encoding`, `TE`,
    /// `Trailer`, `Upgrade`, `Proxy-*`) and `X-Request-Id`, which the proxy sets itself.
    let forwardedLines: [Range<Int>]
    /// Whether the backend connection may carry another request after this response.
    let keepAlive: Bool
    let framing: BodyFraming
}
