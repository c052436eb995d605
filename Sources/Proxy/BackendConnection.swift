import NIOCore

/// The proxy's end of one keep-alive HTTP/1.1 connection to a backend. Requests go out as the bytes
/// ``ForwardedRequest`` wrote; responses are framed by a ``ResponseFramer``.
///
/// Lives on its ``LoopContext``'s event loop. It carries one request at a time, or, with
/// ``ProxySettings/pipelineDepth`` above 1, up to that many pipelined requests, whose ``Exchange``s wait for their
/// responses in the order the requests were written. Response parts go to the first of them; a connection that
/// closes reports a connection-level failure to every exchange still waiting. Once nothing is waiting on a
/// keep-alive connection it puts itself back in its ``BackendPool``.
///
/// Backpressure: while the client of the first exchange cannot take more bytes (its channel is not writable),
/// reads from the backend are held, so a large response streams at the client's pace instead of piling up in
/// the proxy's memory. The exchange resumes them (``resumeReading()``) once the client drains.
final class BackendConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let backend: Backend
    /// Set once connected; the pool of this backend on this loop.
    var pool: BackendPool?
    private var context: ChannelHandlerContext?
    /// A request whose response is awaited.
    private struct Awaited {
        /// nil for a response nobody wants any more (a 503 being retried elsewhere): it is read to its end,
        /// then the connection goes on.
        var exchange: Exchange?
        /// Nothing may be pipelined behind it (see ``send(_:isHead:body:for:flush:alone:)``).
        let alone: Bool
    }

    /// The requests whose responses are awaited, in the order they were written.
    private var waiting = CircularBuffer<Awaited>()
    private var active = false
    private var closing = false
    /// False once a response said the connection closes after it: nothing more is sent on it.
    private var responseKeepAlive = true
    private var lastError: (any Error)?
    /// Responses that ended on this connection.
    private var completed = 0
    /// A `read()` held back because the client is not writable.
    private var readHeld = false
    /// Written requests wait for ``flush()``.
    private var unflushed = false
    private var framer = ResponseFramer()
    /// Reused storage for the events of one read.
    private var pendingEvents: [ResponseFramer.Event] = []

    init(backend: Backend) {
        self.backend = backend
    }

    /// Open, not closing, and nothing awaited: may carry a request as if new.
    var isReusable: Bool { active && !closing && responseKeepAlive && waiting.isEmpty }

    /// Open and not closing, with fewer than `depth` responses awaited: may take another request.
    func hasRoom(depth: Int) -> Bool {
        active && !closing && responseKeepAlive && waiting.count < depth && !waiting.contains(where: \.alone)
    }

    /// Whether a request sent now follows completed responses with none awaited: the connection sat idle in the
    /// pool, where the backend may have closed it without the proxy having noticed yet.
    var isIdleReuse: Bool { completed > 0 && waiting.isEmpty }

    /// Writes a whole buffered request (`head`, which may hold the body, then `body` if any) and queues
    /// `exchange` to receive its response. Flushes unless `flush` is false: the caller then calls ``flush()``
    /// later, so that requests written in the same event-loop tick leave in one system call. Nothing is
    /// pipelined behind a request sent `alone` (a large one, likely slow to answer) until its response ends.
    func send(_ head: ByteBuffer, isHead: Bool, body: ByteBuffer?, for exchange: Exchange, flush: Bool = true, alone: Bool = false) {
        if !active, let context, context.channel.isActive { active = true }
        guard let context, active, !closing else {
            exchange.backendFailed(on: self, reason: "connection closed before the request was sent")
            return
        }
        waiting.append(Awaited(exchange: exchange, alone: alone))
        framer.expectResponse(toHead: isHead)
        var last = head
        if let body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(head), promise: nil)
            last = body
        }
        if flush {
            context.writeAndFlush(wrapOutboundOut(last), promise: nil)
        } else {
            context.write(wrapOutboundOut(last), promise: nil)
            unflushed = true
        }
    }

    /// Flushes the requests written since the last flush.
    func flush() {
        guard unflushed else { return }
        unflushed = false
        context?.flush()
    }

    /// Detaches `exchange`, whose response has started: the rest of it is dropped and the connection goes on.
    func discardResponse(of exchange: Exchange) {
        guard let first, first === exchange else { return }
        waiting[waiting.startIndex].exchange = nil
        resumeReading()
    }

    /// Detaches `exchange` and closes the connection (timeout): its late response must never reach anyone.
    /// Requests pipelined on the connection fail and are retried as after any connection failure.
    func abandon(_ exchange: Exchange) {
        if let index = waiting.firstIndex(where: { $0.exchange === exchange }) { waiting[index].exchange = nil }
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
        // connection to another request, which tells the framer to expect one more response.
        var events = pendingEvents
        pendingEvents = []
        events.removeAll(keepingCapacity: true)
        var failure: ResponseFramer.Malformed?
        do { try framer.feed(unwrapInboundIn(data)) { events.append($0) } } catch { failure = error }
        for event in events {
            switch event {
            case .head(let head):
                if !head.keepAlive { responseKeepAlive = false }
                first?.backendResponded(head, on: self)
            case .body(let part):
                first?.backendBody(part)
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

    /// The exchange the response being read belongs to (nil when it is discarded or nothing is awaited).
    private var first: Exchange? { waiting.first?.exchange }

    private func responseEnded() {
        guard let finished = waiting.popFirst() else { return }
        completed += 1
        resumeReading()
        if !responseKeepAlive || closing {
            close()
        } else if waiting.isEmpty {
            if let pool { pool.release(self) } else { close() }
        }
        finished.exchange?.backendFinished(on: self)
    }

    func read(context: ChannelHandlerContext) {
        if let first, !first.clientIsWritable {
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
        first?.flushClient()
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
        let failed = waiting
        waiting.removeAll()
        if !failed.isEmpty {
            let reason = lastError.map { "\($0)" } ?? "connection closed before the response ended"
            for (position, awaited) in failed.enumerated() {
                // Requests pipelined behind the first, or behind a response that announced the close, were never
                // going to be answered on this connection: the backend is not to blame for them.
                awaited.exchange?.backendFailed(on: self, reason: reason, behindOthers: position > 0 || !responseKeepAlive)
            }
        }
        context.fireChannelInactive()
    }
}
