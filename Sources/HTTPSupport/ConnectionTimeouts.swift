/// How long a client connection may take over each phase before the server gives up on it, as nginx's
/// `client_header_timeout`, `client_body_timeout` and `keepalive_timeout`. A client that trickles its head or its body
/// byte by byte, or holds a connection open without sending anything, is cut off instead of holding the connection
/// (and, in the proxy, a request slot) forever.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// From the first byte of a request head to its blank line. Expired: `408 Request Timeout`, then the
    /// connection closes. Default 10 s.
    public var header: Duration
    /// From the end of the head to the end of the body: the whole body must arrive within it. Expired: `408`
    /// (when no response has started), then the connection closes. Default 30 s.
    public var body: Duration
    /// With no request under way, from the end of the last response (or the connection's start) to the first byte
    /// of the next request. Expired: the connection closes without a response, as a keep-alive timeout.
    /// Default 60 s.
    public var idle: Duration

    /// Timeouts with the documented defaults unless given.
    public init(header: Duration = .seconds(10), body: Duration = .seconds(30), idle: Duration = .seconds(60)) {
        self.header = header
        self.body = body
        self.idle = idle
    }

    /// The name of the first timeout that is not positive, if any.
    public var nonPositive: String? {
        if header <= .zero { return "header timeout" }
        if body <= .zero { return "body timeout" }
        if idle <= .zero { return "idle timeout" }
        return nil
    }
}
