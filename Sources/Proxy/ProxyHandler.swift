import HTTPSupport
import NIOCore
import NIOHTTP1

/// The server side of one client connection: frames the client's bytes into requests (``RequestFramer``),
/// buffers each request up to `maxBodyBytes`, answers `/metrics` and `/proxy/backends` itself, and hands
/// everything else to an ``Exchange``. Enforces the body and in-flight limits, and the header, body and idle
/// timeouts (a ``ConnectionClock``): a request counts as in flight only once it has fully arrived, so clients that
/// trickle their requests hold no request slot, and are cut off with 408 when their time is up.
///
/// Requests on a connection are handled one at a time, in order: parts of pipelined requests that arrive
/// while a response is pending wait in a queue. This replaces NIO's `HTTPServerPipelineHandler`, which stops
/// and restarts reading around every request (two `epoll_ctl` calls per request); here reading stops only
/// when the queue grows past ``maxQueuedParts``.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    /// Responses are written as bytes: heads built by ``ClientResponseHead``, bodies as the backend sent them.
    typealias OutboundOut = ByteBuffer

    private enum State {
        case idle
        /// Head accepted, body being buffered; not yet in flight.
        case receiving(Exchange)
        /// Sent to a backend; the request counts as in flight.
        case forwarding(Exchange)
        /// A proxy endpoint, answered when the request ends.
        case local(LocalRoute, keepAlive: Bool, requestID: String)
        /// A final response went out and the connection is closing: input is ignored.
        case closing
    }

    private enum LocalRoute {
        case metrics
        case backends
        /// `/proxy/backends` without a token of role `reader` (when tokens are configured).
        case denied(AccessError)

        init?(_ head: ClientRequestHead) {
            guard head.knownMethod == .get, head.target.count >= 8 else { return nil }
            let uri = head.targetString
            let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            switch path {
            case "/metrics": self = .metrics
            case "/proxy/backends": self = .backends
            default: return nil
            }
        }
    }

    private let loop: LoopContext
    private let clientAddress: String?
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var framer = RequestFramer()
    /// The client sent bytes that are not a request: everything after them is ignored.
    private var inputFailed = false
    /// Parts of pipelined requests waiting for the current response to end.
    private var queued = CircularBuffer<RequestFramer.Event>()
    private var draining = false
    /// A `read()` held back because the queue is full.
    private var readHeld = false
    /// Shutdown asked the connection to close once the request in progress is answered.
    private var quiescing = false
    private static let maxQueuedParts = 64
    /// Response bytes not yet written to the channel: a head, with the small body parts that follow it copied in,
    /// so that a typical response is one write (each write costs more than copying a few KiB).
    private var outgoing: ByteBuffer?
    /// ``outgoing`` starts with a head built in ``responseBuffers``' storage, which goes back there once written.
    private var outgoingIsOwn = false
    /// Storage for the heads this connection builds, reused from one request to the next.
    private var requestBuffers = SpareBuffer()
    private var responseBuffers = SpareBuffer()
    /// The connection's header, body and idle deadlines, and the one timer that enforces them.
    private var clock: ConnectionClock
    private var timer = DeadlineTimer()
    /// The most bytes gathered in ``outgoing``; what would go over is written as it is.
    static let inlineBodyBytes = 16 * 1024

    init(loop: LoopContext, clientAddress: String?) {
        self.loop = loop
        self.clientAddress = clientAddress
        clock = ConnectionClock(timeouts: loop.core.settings.timeouts, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        armTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if inputFailed { return }
        if case .closing = state { return }
        let now = NIODeadline.now()
        clock.bytesArrived(at: now)
        do {
            try framer.feed(unwrapInboundIn(data)) { part in
                switch part {
                case .head: clock.headReceived(at: now)
                case .end: clock.requestEnded()
                case .body: break
                }
                if case .forwarding = state {
                    queued.append(part)
                } else if !queued.isEmpty {
                    queued.append(part)
                } else {
                    process(part, context: context)
                }
            }
        } catch {
            refuseInput(.badRequest, error.description, context: context)
        }
        armTimer()
    }

    func read(context: ChannelHandlerContext) {
        if queued.count >= Self.maxQueuedParts {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        if case .idle = state, queued.isEmpty { context.close(promise: nil) }
    }

    /// The current request has been answered: handle what queued up behind it.
    private func responseEnded() {
        guard !draining, let context else { return }
        if quiescing {
            state = .closing
            queued.removeAll()
            context.close(promise: nil)
            return
        }
        draining = true
        while !queued.isEmpty {
            if case .forwarding = state { break }
            if case .closing = state {
                queued.removeAll()
                break
            }
            process(queued.removeFirst(), context: context)
        }
        draining = false
        if readHeld && queued.count < Self.maxQueuedParts {
            readHeld = false
            context.read()
        }
    }

    private func process(_ part: RequestFramer.Event, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            receivedHead(head, context: context)
        case .body(let part):
            guard case .receiving(let exchange) = state else { return }
            if exchange.bodyBytes + part.readableBytes > loop.core.settings.maxBodyBytes {
                refuseOversized(requestID: exchange.requestID, start: exchange.startedAt)
            } else {
                exchange.appendBody(part)
            }
        case .end:
            switch state {
            case .receiving(let exchange):
                // In flight from here, when the whole request has arrived: a slow client never holds a slot.
                let limit = loop.core.settings.maxInFlight
                if loop.core.inFlight.add(1, ordering: .relaxed).newValue > limit {
                    loop.core.inFlight.subtract(1, ordering: .relaxed)
                    respond(status: .serviceUnavailable, json: JSONText.error("proxy overloaded: \(limit) requests in flight"),
                            keepAlive: exchange.keepAlive, requestID: exchange.requestID, start: exchange.startedAt)
                    return
                }
                state = .forwarding(exchange)
                exchange.forward()
            case .local(let route, let keepAlive, let requestID):
                serve(route, keepAlive: keepAlive, requestID: requestID)
            case .idle, .forwarding, .closing:
                break
            }
        }
    }

    private func receivedHead(_ head: ClientRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        let start = NIODeadline.now()
        let core = loop.core
        if var route = LocalRoute(head) {
            if case .backends = route {
                do throws(AccessError) { _ = try core.settings.access.authorize(header: head.firstValue(of: "authorization"), needs: .reader) } catch {
                    route = .denied(error)
                }
            }
            state = .local(route, keepAlive: head.keepAlive, requestID: head.requestID ?? loop.requestIDs.next())
            return
        }
        let request = ForwardedRequest(client: head, clientAddress: clientAddress, ids: &loop.requestIDs,
                                       buffer: requestBuffers.take(allocator: loop.allocator))
        if let length = request.declaredLength, length > core.settings.maxBodyBytes {
            return refuseOversized(requestID: request.requestID, start: start)
        }
        if request.expectsContinue {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head.version == .http1_0 ? "HTTP/1.0 100 Continue\r\n\r\n"
                                                                                                   : "HTTP/1.1 100 Continue\r\n\r\n")),
                                  promise: nil)
        }
        state = .receiving(Exchange(client: self, loop: loop, request: request, clientHead: head, start: start))
    }

    private func refuseOversized(requestID: String, start: NIODeadline) {
        let limit = loop.core.settings.maxBodyBytes
        respond(status: .payloadTooLarge,
                json: JSONText.error("request body exceeds the limit of \(limit) bytes (--max-body-bytes)"),
                keepAlive: false, requestID: requestID, start: start)
    }

    private func serve(_ route: LocalRoute, keepAlive: Bool, requestID: String) {
        guard let context else { return }
        let core = loop.core
        let body: ByteBuffer
        let contentType: String
        switch route {
        case .metrics:
            body = core.metrics.render(inFlightNow: core.inFlight.load(ordering: .relaxed),
                                       allocator: context.channel.allocator)
            contentType = "text/plain; version=0.0.4; charset=utf-8"
        case .backends:
            body = ByteBuffer(string: JSONText.backends(loop.backends.map(\.status)))
            contentType = "application/json"
        case .denied(let error):
            return respond(status: HTTPResponseStatus(statusCode: Int(error.status.code)), json: JSONText.error(error.description),
                           keepAlive: keepAlive, requestID: requestID, start: .now())
        }
        write(status: .ok, body: body, contentType: contentType, keepAlive: keepAlive, requestID: requestID)
    }

    // MARK: Responses

    /// A complete JSON response from the proxy itself, counted in the metrics.
    private func respond(status: HTTPResponseStatus, json: String, keepAlive: Bool, requestID: String, start: NIODeadline) {
        loop.core.metrics.recordResponse(status: Int(status.code), since: start)
        write(status: status, body: ByteBuffer(string: json), contentType: "application/json", keepAlive: keepAlive,
              requestID: requestID)
    }

    private func write(status: HTTPResponseStatus, body: ByteBuffer, contentType: String, keepAlive: Bool, requestID: String) {
        let keepAlive = keepAlive && !quiescing
        state = keepAlive ? .idle : .closing
        timeResponseEnded()
        guard let context else { return }
        let head = ClientResponseHead.local(status: status, contentType: contentType, length: body.readableBytes,
                                            requestID: requestID, keepAlive: keepAlive, allocator: loop.allocator)
        enqueue(head, context: context)
        enqueue(body, context: context)
        end(context: context, keepAlive: keepAlive, terminator: nil)
    }

    /// Adds `part` to the response: copied behind ``outgoing`` while the two together stay within
    /// ``inlineBodyBytes``, else written after it (so a large body part is never copied).
    private func enqueue(_ part: ByteBuffer, context: ChannelHandlerContext) {
        guard var pending = outgoing else {
            outgoing = part
            return
        }
        outgoing = nil  // `pending` is now the only reference: appending does not copy the buffer.
        if pending.readableBytes + part.readableBytes <= Self.inlineBodyBytes {
            pending.writeImmutableBuffer(part)
            outgoing = pending
        } else {
            context.write(wrapOutboundOut(pending), promise: nil)
            wrote(pending)
            outgoing = part
        }
    }

    /// `pending`, which was ``outgoing``, went to the channel: its storage is kept if it is the connection's own.
    private func wrote(_ pending: ByteBuffer) {
        if outgoingIsOwn { responseBuffers.keep(pending) }
        outgoingIsOwn = false
    }

    /// Hands ``outgoing`` to the channel and flushes (one trip through the pipeline when something is waiting).
    private func flushOutgoing(context: ChannelHandlerContext) {
        guard let pending = outgoing else { return context.flush() }
        outgoing = nil
        context.writeAndFlush(wrapOutboundOut(pending), promise: nil)
        wrote(pending)
    }

    /// Ends the response: writes what ends its body (the last chunk), flushes, and either goes on with the next
    /// request or closes once everything is written.
    private func end(context: ChannelHandlerContext, keepAlive: Bool, terminator: ByteBuffer?) {
        if let terminator { enqueue(terminator, context: context) }
        if keepAlive {
            flushOutgoing(context: context)
            responseEnded()
        } else {
            let channel = context.channel
            let last = outgoing ?? ByteBuffer()
            outgoing = nil
            outgoingIsOwn = false
            context.writeAndFlush(wrapOutboundOut(last)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    // MARK: Called by the exchange

    /// An empty buffer for a response head, reusing the storage of this connection's previous head.
    func responseBuffer() -> ByteBuffer {
        responseBuffers.take(allocator: loop.allocator)
    }

    /// Starts the response with `head`, built in a ``responseBuffer()``.
    func sendResponseHead(_ head: ByteBuffer) {
        clock.responseStarted(closing: false)
        guard let context else { return }
        if outgoing == nil { outgoingIsOwn = true }
        enqueue(head, context: context)
    }

    func sendResponseBody(_ part: ByteBuffer) {
        if let context { enqueue(part, context: context) }
    }

    func flush() {
        if let context { flushOutgoing(context: context) }
    }

    /// False while the client connection holds more unsent response bytes than its high watermark. A closed
    /// connection counts as writable: its writes fail at once, so the response is read to its end and dropped.
    var isWritable: Bool {
        guard let channel = context?.channel, channel.isActive else { return true }
        return channel.isWritable
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .forwarding(let exchange) = state { exchange.clientDrained() }
        context.fireChannelWritabilityChanged()
    }

    /// The backend's response has been forwarded up to its end.
    func finishExchange(_ exchange: Exchange, status: Int) {
        finished(exchange, status: status)
        timeResponseEnded()
        requestBuffers.keep(exchange.message)
        // While shutting down, the connection closes once this response is fully written.
        let keepAlive = exchange.keepAlive && !quiescing
        state = keepAlive ? .idle : .closing
        if let context { end(context: context, keepAlive: keepAlive, terminator: exchange.bodyTerminator) }
    }

    /// No backend produced a response: answer with the proxy's own error.
    func failExchange(_ exchange: Exchange, status: HTTPResponseStatus, message: String) {
        loop.core.inFlight.subtract(1, ordering: .relaxed)
        respond(status: status, json: JSONText.error(message), keepAlive: exchange.keepAlive,
                requestID: exchange.requestID, start: exchange.startedAt)
    }

    /// The backend failed after its response head was forwarded: the client sees the connection close.
    func abortExchange(_ exchange: Exchange, status: Int) {
        finished(exchange, status: status)
        timeResponseEnded()
        state = .closing
        outgoing = nil
        outgoingIsOwn = false
        context?.close(promise: nil)
    }

    private func finished(_ exchange: Exchange, status: Int) {
        loop.core.inFlight.subtract(1, ordering: .relaxed)
        loop.core.metrics.recordResponse(status: status, since: exchange.startedAt)
    }

    // MARK: Connection events

    func channelInactive(context: ChannelHandlerContext) {
        timer.cancel()
        if case .receiving = state {
            // The client left mid-body: the request never reaches a backend (and was never in flight).
            state = .closing
        }
        // A request being forwarded finishes on its own (its writes go nowhere) and releases its slot then.
        if case .forwarding(let exchange) = state { exchange.clientDrained() }
        context.fireChannelInactive()
    }

    /// The client's input cannot go on: a malformed request (400) or a head or body that did not arrive in time
    /// (408). It is answered unless a response is already under way (a malformed chunked body or a late body is found
    /// before anything is forwarded, so those are answered too); then the connection closes and later input is ignored.
    private func refuseInput(_ status: HTTPResponseStatus, _ message: String, context: ChannelHandlerContext) {
        let requestID: String?
        switch state {
        case .idle where queued.isEmpty:
            requestID = nil
        case .receiving(let exchange) where queued.isEmpty:
            // The body never reaches a backend (nor was the request in flight).
            requestID = exchange.requestID
        case .local(_, _, let id) where queued.isEmpty:
            requestID = id
        default:
            // A request under way is released by channelInactive, as when the client leaves.
            inputFailed = true
            queued.removeAll()
            return context.close(promise: nil)
        }
        inputFailed = true
        state = .closing
        loop.core.metrics.recordResponse(status: Int(status.code), since: .now())
        let body = ByteBuffer(string: JSONText.error(message))
        let head = ClientResponseHead.local(status: status, contentType: "application/json", length: body.readableBytes,
                                            requestID: requestID ?? loop.requestIDs.next(), keepAlive: false, allocator: loop.allocator)
        context.write(wrapOutboundOut(head), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(body)).whenComplete { _ in channel.close(promise: nil) }
        // A refusal that cannot leave (a stalled TLS handshake holds it back) closes a second later regardless.
        context.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
    }

    // MARK: Timeouts

    /// Encrypted bytes arrived before the TLS handler (``EncryptedBytesWatcher``): a handshake is timed as a head.
    func encryptedBytesArrived() {
        clock.bytesArrived(at: .now())
        armTimer()
    }

    /// A response ended (forwarded, answered by the proxy, or aborted): the clock's idle time may start.
    private func timeResponseEnded() {
        _ = clock.responseEnded(at: .now())
        armTimer()
    }

    private func armTimer() {
        guard let context else { return }
        timer.arm(clock.deadline, on: context.eventLoop) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timer.fired()
        guard let context else { return }
        if case .closing = state { return }
        switch clock.expiry(at: .now()) {
        case nil:
            armTimer()
        case .close?:
            inputFailed = true
            context.close(promise: nil)
        case .requestTimeout(let reason)?:
            refuseInput(.requestTimeout, reason, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A connection error ends the connection; channelInactive releases a request in progress.
        context.close(promise: nil)
    }
}
