import NIOCore
import NIOHTTP1

/// The proxy's end of one keep-alive HTTP/1.1 connection to a backend, carrying one request at a time.
///
/// Lives on its ``LoopContext``'s event loop. While an ``Exchange`` is attached, response parts go to it;
/// a connection that closes with an exchange attached reports a connection-level failure to it. After a
/// complete keep-alive response the connection puts itself back in its ``BackendPool``.
///
/// Backpressure: while the client of the attached exchange cannot take more bytes (its channel is not
/// writable), reads from the backend are held, so a large response streams at the client's pace instead of
/// piling up in the proxy's memory. The exchange resumes them (``resumeReading()``) once the client drains.
final class BackendConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

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

    init(backend: Backend) {
        self.backend = backend
    }

    /// Open, not closing, and idle-capable: may carry another request.
    var isReusable: Bool { active && !closing && exchange == nil && !discarding }

    /// Writes a whole buffered request and attaches `exchange` to receive the response.
    func send(_ head: HTTPRequestHead, body: ByteBuffer?, for exchange: Exchange) {
        if !active, let context, context.channel.isActive { active = true }
        guard let context, active, !closing else {
            exchange.backendFailed(on: self, reason: "connection closed before the request was sent")
            return
        }
        self.exchange = exchange
        requestCount += 1
        responseKeepAlive = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
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
        switch unwrapInboundIn(data) {
        case .head(let head):
            // Interim 1xx heads precede the real one; they are not forwarded (the request is already buffered).
            guard head.status.code >= 200 else { return }
            responseKeepAlive = head.isKeepAlive
            exchange?.backendResponded(head, on: self)
        case .body(let part):
            exchange?.backendBody(part)
        case .end:
            let finished = exchange
            exchange = nil
            discarding = false
            resumeReading()
            recycle()
            finished?.backendFinished(on: self)
        }
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
