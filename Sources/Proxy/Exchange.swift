import NIOCore
import NIOHTTP1

/// One proxied request, from its buffered body to the end of the client's response, across at most two
/// backends. Lives on its ``LoopContext``'s event loop, as do its client handler and backend connections.
///
/// Attempt rules:
/// - A connection-level failure before the response head (connect refused or timed out, reset, closed, request
///   timeout) counts against the backend (``Backend/recordFailure(_:)``, which may eject it) and the request is
///   retried once on another healthy backend. Predictions are idempotent, so this is safe.
/// - A pooled connection that fails that way may simply have been closed by the backend while idle, so it is
///   first retried on a fresh connection to the same backend, without counting a failure (as nginx does); so is
///   a request pipelined behind one that failed (see ``ProxySettings/pipelineDepth``). Not when the backend has
///   been ejected meanwhile: the request then goes to another backend.
/// - A 503 is retried once on another backend when one is healthy; other statuses, 5xx included, pass through.
/// - Once the response head has been forwarded nothing can be retried: a failure closes the client connection.
final class Exchange {
    private let client: ProxyHandler
    private let loop: LoopContext
    /// When the request head arrived (latency is measured from here).
    let startedAt: NIODeadline
    let requestID: String
    /// HTTP version of the client's request, used for the response.
    let clientVersion: HTTPVersion
    /// Whether the client connection stays open after this response.
    private(set) var keepAlive: Bool
    private var request: ForwardedRequest
    /// The buffered body, then (once it is complete) the part of it not sent in ``message``.
    private var body: ByteBuffer?
    /// What is sent to a backend, built once the body is buffered (and reused by a retry): the head, with the
    /// body when it is small. Its storage goes back to the client connection when the exchange ends.
    private(set) var message = ByteBuffer()
    /// Body bytes buffered so far.
    private(set) var bodyBytes = 0

    private var backend: Backend?
    private var connection: BackendConnection?
    /// The current attempt went out on a connection that had been idle in the pool (see
    /// ``BackendConnection/isIdleReuse``).
    private var onIdleReuse = false
    /// Increases with every attempt so that a late connect or timer of an earlier attempt is ignored.
    private var attempt = 0
    /// Links and deadline kept by the loop's ``AttemptTimer`` while an attempt is under way.
    var deadline = NIODeadline.distantFuture
    var isWatched = false
    var older: Exchange?
    var newer: Exchange?
    private var retried = false
    private var freshConnectionRetried = false
    private var responseStarted = false
    /// The client's response body is chunked (the backend's had no length and the client speaks HTTP/1.1).
    private var chunkedToClient = false
    private var status = 0

    init(client: ProxyHandler, loop: LoopContext, request: ForwardedRequest, clientHead: ClientRequestHead, start: NIODeadline) {
        self.client = client
        self.loop = loop
        self.request = request
        self.requestID = request.requestID
        self.clientVersion = clientHead.version
        self.keepAlive = clientHead.keepAlive
        self.startedAt = start
    }

    /// Buffers a body part; the caller has checked the size limit.
    func appendBody(_ part: ByteBuffer) {
        bodyBytes += part.readableBytes
        if body == nil {
            body = part
        } else {
            body!.writeImmutableBuffer(part)
        }
    }

    /// A request whose body is too large to travel inside ``message`` (a batch): when pipelining, it goes on a
    /// connection of its own and nothing is pipelined behind it, as its answer may take long.
    private var isLarge: Bool { body != nil }

    /// The whole request is buffered: pick a backend and send it.
    func forward() {
        (message, body) = request.message(body: body)
        dispatch(to: loop.pick(), pooled: true)
    }

    // MARK: Attempts

    private func dispatch(to candidate: Backend?, pooled: Bool) {
        guard let backend = candidate else {
            return client.failExchange(self, status: .serviceUnavailable, message: "no healthy backend")
        }
        self.backend = backend
        attempt &+= 1
        let attempt = self.attempt
        backend.requests.add(1, ordering: .relaxed)
        backend.inFlight.add(1, ordering: .relaxed)
        loop.timer.watch(self)
        if pooled, let open = loop.pool(for: backend)?.acquire(alone: isLarge) {
            send(on: open)
            return
        }
        loop.connect(to: backend) { [self] result in
            guard attempt == self.attempt, self.connection == nil, isWatched else {
                // This attempt already timed out; keep the new connection for someone else.
                if case .success(let late) = result {
                    if let pool = late.pool { pool.release(late) } else { late.close() }
                }
                return
            }
            switch result {
            case .success(let connection):
                send(on: connection)
            case .failure(let error):
                endAttempt()
                attemptFailed(reason: "connect failed: \(error)", timedOut: false, reusedConnection: false)
            }
        }
    }

    private func send(on connection: BackendConnection) {
        self.connection = connection
        onIdleReuse = connection.isIdleReuse
        if loop.pipelines {
            connection.send(message, isHead: request.isHead, body: body, for: self, flush: false, alone: isLarge)
            connection.pool?.sent(on: connection)
            loop.flushAtEndOfTick(connection)
        } else {
            connection.send(message, isHead: request.isHead, body: body, for: self)
        }
    }

    private func endAttempt() {
        connection = nil
        loop.timer.unwatch(self)
        backend?.inFlight.subtract(1, ordering: .relaxed)
    }

    /// Called by the loop's ``AttemptTimer`` when the current attempt's deadline has passed.
    func attemptTimedOut() {
        let abandoned = connection
        endAttempt()
        let millis = loop.core.requestTimeout.nanoseconds / 1_000_000
        // The failure is recorded (possibly ejecting the backend) before the connection closes, so that requests
        // pipelined behind this one, which fail with it, are not retried on the same backend.
        attemptFailed(reason: "no complete response within \(millis) ms", timedOut: true, reusedConnection: false)
        abandoned?.abandon(self)
    }

    private func attemptFailed(reason: String, timedOut: Bool, reusedConnection: Bool) {
        guard let backend else { return }
        if responseStarted {
            backend.recordFailure(reason)
            return client.abortExchange(self, status: status)
        }
        if reusedConnection && !freshConnectionRetried && backend.isHealthy {
            freshConnectionRetried = true
            return dispatch(to: backend, pooled: false)
        }
        backend.recordFailure(reason)
        if !retried, let other = loop.pick(excluding: backend) {
            retried = true
            loop.core.metrics.retries.increment()
            return dispatch(to: other, pooled: true)
        }
        if !loop.anyHealthy {
            client.failExchange(self, status: .serviceUnavailable, message: "no healthy backend")
        } else if timedOut {
            client.failExchange(self, status: .gatewayTimeout, message: "backend \(backend.address) timed out: \(reason)")
        } else {
            client.failExchange(self, status: .badGateway, message: "backend \(backend.address) failed: \(reason)")
        }
    }

    // MARK: Called by the backend connection

    func backendResponded(_ head: BackendResponseHead, on connection: BackendConnection) {
        guard connection === self.connection, let backend else { return }
        if head.status == 503, !retried, let other = loop.pick(excluding: backend) {
            connection.discardResponse(of: self)
            endAttempt()
            retried = true
            loop.core.metrics.retries.increment()
            return dispatch(to: other, pooled: true)
        }
        responseStarted = true
        status = head.status
        var out = client.responseBuffer()
        ClientResponseHead.write(from: head, requestID: requestID, version: clientVersion, keepAlive: &keepAlive,
                                 chunked: &chunkedToClient, into: &out)
        client.sendResponseHead(out)
    }

    func backendBody(_ part: ByteBuffer) {
        guard part.readableBytes > 0 else { return }
        if chunkedToClient {
            client.sendResponseBody(ByteBuffer(string: String(part.readableBytes, radix: 16) + "\r\n"))
            client.sendResponseBody(part)
            client.sendResponseBody(Self.crlf)
        } else {
            client.sendResponseBody(part)
        }
    }

    private static let crlf = ByteBuffer(string: "\r\n")
    private static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

    /// What ends the response body on the client connection: the last chunk, or nothing.
    var bodyTerminator: ByteBuffer? { chunkedToClient ? Self.lastChunk : nil }

    func flushClient() {
        client.flush()
    }

    /// Whether the client can take more response bytes now (see ``BackendConnection/read(context:)``).
    var clientIsWritable: Bool { client.isWritable }

    /// The client drained its buffered response bytes, or went away: the backend may be read again.
    func clientDrained() {
        connection?.resumeReading()
    }

    func backendFinished(on connection: BackendConnection) {
        guard connection === self.connection, responseStarted else { return }
        endAttempt()
        backend?.recordSuccess()
        client.finishExchange(self, status: status)
    }

    /// The connection failed before this exchange's response ended. `behindOthers`: the request was pipelined
    /// behind a response that never completed or that closed the connection, so it was never going to be answered.
    func backendFailed(on connection: BackendConnection, reason: String, behindOthers: Bool = false) {
        guard connection === self.connection else { return }
        endAttempt()
        attemptFailed(reason: reason, timedOut: false, reusedConnection: onIdleReuse || behindOthers)
    }
}
