import NIOCore

/// The proxy's end of one keep-alive HTTP/1.1 connection to a backend, carrying one request at a time. Requests
/// go out as the bytes ``ForwardedRequest`` wrote; responses are framed by a ``ResponseFramer``.
///
/// Lives on its ``LoopContext``'s event loop. While an ``Exchange`` is attached, response parts go to it;
/// a connection that closes with an exchange attached reports a connection-level failure to it. After a
/// complete keep-alive response the connection puts itself back in its ``BackendPool``.
///
/// Backpressure: while the client of the attached exchange cannot take more bytes (its channel is not
/// writable), reads from the backend are held, so a large response streams at the client's pace instead of
/// piling up in the proxy's memory. The exchange resumes them (``resumeReading()``) once the client drains.
final class BackendConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let backend: Backend
    /// Set once connected; the pool of this backend on this loop.
    var pool: BackendPool?
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var active = false
    private var closing = false
    /// A response nobody wants any more (a 503 being retried elsewhere) is read to its end, then the connection is reused.
    private var discarding = false
    private var responseKeepAlive = true
    private var lastError: (any Error)?
    /// Requests written on this connection; more than one means it came from the pool.
    private(set) var requestCount = 0
    /// A `read()` held back because the client is not writable.
    private var readHeld = false
    private var framer = ResponseFramer()
    /// Reused storage for the events of one read.
    private var pendingEvents: [ResponseFramer.Event] = []

    init(backend: Backend) {
        self.backend = backend
    }

    /// Open, not closing, and idle-capable: may carry another request.
    var isReusable: Bool { active && !closing && exchange == nil && !discarding }

    /// Writes a whole buffered request (`head`, which may hold the body, then `body` if any) and attaches
    /// `exchange` to receive the response.
    func send(_ head: ByteBuffer, isHead: Bool, body: ByteBuffer?, for exchange: Exchange) {
        if !active, let context, context.channel.isActive { active = true }
        guard let context, active, !closing else {
            exchange.backendFailed(on: self, reason: "connection closed before the request was sent")
            return
        }
        self.exchange = exchange
        requestCount += 1
        responseKeepAlive = true
        framer.expectResponse(toHead: isHead)
        if let body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(head), promise: nil)
            context.writeAndFlush(wrapOutboundOut(body), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(head), promise: nil)
        }
    }

    /// Detaches the exchange; the rest of the response is dropped and the connection then reused.
    func discardResponse() {
        exchange = nil
        discarding = true
        resumeReading()
    }

    /// Detaches the exchange and closes the connection (timeout): its late response must never reach anyone.
    func abandon() {
        exchange = nil
        close()
    }

    func close() {
        guard !closing else { return }
        closing = true
        context?.close(promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        active = context.channel.isActive
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        active = true
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Events are collected first and handled after the framer returns: handling `.end` may hand this
        // connection to the next request, which resets the framer.
        var events = pendingEvents
        pendingEvents = []
        events.removeAll(keepingCapacity: true)
        var failure: ResponseFramer.Malformed?
        do { try framer.feed(unwrapInboundIn(data)) { events.append($0) } } catch { failure = error }
        for event in events {
            switch event {
            case .head(let head):
                responseKeepAlive = head.keepAlive
                exchange?.backendResponded(head, on: self)
            case .body(let part):
                exchange?.backendBody(part)
            case .end:
                responseEnded()
            }
        }
        events.removeAll(keepingCapacity: true)
        pendingEvents = events
        if let failure {
            lastError = failure
            close()
        }
    }

    private func responseEnded() {
        let finished = exchange
        exchange = nil
        discarding = false
        resumeReading()
        recycle()
        finished?.backendFinished(on: self)
    }

    func read(context: ChannelHandlerContext) {
        if let exchange, !exchange.clientIsWritable {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Lets a held read go: the client drained, or the exchange no longer needs the brake.
    func resumeReading() {
        guard readHeld, let context else { return }
        readHeld = false
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.flushClient()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        lastError = error
        close()
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        closing = true
        pool?.remove(self)
        // A body delimited by the close ends here.
        if framer.endOfInput() { responseEnded() }
        if let failed = exchange {
            exchange = nil
            let reason = lastError.map { "\($0)" } ?? "connection closed before the response ended"
            failed.backendFailed(on: self, reason: reason)
        }
        context.fireChannelInactive()
    }

    private func recycle() {
        if responseKeepAlive && active && !closing, let pool {
            pool.release(self)
        } else {
            close()
        }
    }
}
