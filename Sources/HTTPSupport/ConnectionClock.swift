import NIOCore

/// The timing state of one HTTP/1 client connection under ``ConnectionTimeouts``: fed events by the connection's
/// handlers, with the time passed in, so it is deterministic and tested without sockets. ``SlowClientWatcher`` is
/// its shell in the replica and the registry; the proxy's connection handler drives one directly.
///
/// A request's head is timed from its first byte to its parse, its body from the parse to its end; once it has
/// ended the server is answering and no client deadline runs. With no request open (all answered), the idle
/// deadline runs from the last response's end. A head whose first bytes arrive in the same read as the end of the
/// request before it is not timed until that request is answered, and then by the idle deadline.
public struct ConnectionClock: Sendable, Equatable {
    /// What to do with a connection whose deadline passed.
    public enum Expiry: Sendable, Equatable {
        /// No response under way: answer `408` with this reason, then close.
        case requestTimeout(String)
        /// Close without a response (an idle keep-alive connection, or a response already being written).
        case close
    }

    public let timeouts: ConnectionTimeouts
    /// First byte of a head not yet parsed.
    private var headSince: NIODeadline?
    /// Parse of a head whose body has not ended.
    private var bodySince: NIODeadline?
    /// Requests whose heads were parsed and whose responses have not ended.
    private(set) public var openRequests = 0
    /// End of the last response (or the connection's start).
    private var idleSince: NIODeadline
    /// A response head has been written and its end not yet.
    private var responding = false
    /// The response being written asked for the connection to close after it.
    private var closeAfterResponse = false

    /// A new connection, idle since `now`.
    public init(timeouts: ConnectionTimeouts, now: NIODeadline) {
        self.timeouts = timeouts
        idleSince = now
    }

    /// Bytes arrived from the client.
    public mutating func bytesArrived(at now: NIODeadline) {
        if headSince == nil, bodySince == nil { headSince = now }
    }

    /// A request head was parsed.
    public mutating func headReceived(at now: NIODeadline) {
        headSince = nil
        bodySince = now
        openRequests += 1
    }

    /// The request's body ended.
    public mutating func requestEnded() {
        bodySince = nil
    }

    /// A response head was written; `closing` when it says `Connection: close`.
    public mutating func responseStarted(closing: Bool) {
        responding = true
        closeAfterResponse = closing
    }

    /// A response ended. Returns whether the connection should now close (the response said so).
    public mutating func responseEnded(at now: NIODeadline) -> Bool {
        responding = false
        openRequests = max(openRequests - 1, 0)
        if openRequests == 0 { idleSince = now }
        return closeAfterResponse
    }

    /// When the connection expires unless something happens first; `nil` while the server is answering with
    /// nothing more being received.
    public var deadline: NIODeadline? {
        if let bodySince { return bodySince + TimeAmount(timeouts.body) }
        if let headSince { return headSince + TimeAmount(timeouts.header) }
        return openRequests == 0 ? idleSince + TimeAmount(timeouts.idle) : nil
    }

    /// What to do at `now`, or `nil` if the connection has not expired.
    public func expiry(at now: NIODeadline) -> Expiry? {
        guard let deadline, now >= deadline else { return nil }
        if bodySince != nil {
            return responding ? .close : .requestTimeout("the request body did not arrive within \(timeouts.body) (body timeout)")
        }
        if headSince != nil {
            return responding ? .close : .requestTimeout("the request head did not arrive within \(timeouts.header) (header timeout)")
        }
        return .close
    }
}
