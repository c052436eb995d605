import NIOCore

/// The first handler of a guarded HTTP/1 connection (closest to the socket): it notes every arrival of bytes in a
/// ``ConnectionClock`` and enforces the clock's deadlines with one timer, answering `408 Request Timeout` itself —
/// below the HTTP codec, which has no request to answer yet — or closing the connection.
///
/// ``RequestPartsWatcher``, further down the same pipeline, reports heads, ends and responses. Both run on the
/// channel's event loop only.
public final class SlowClientWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var clock: ConnectionClock
    private var context: ChannelHandlerContext?
    private var timer = DeadlineTimer()
    private var expired = false

    /// A watcher enforcing `timeouts`.
    public init(timeouts: ConnectionTimeouts) {
        clock = ConnectionClock(timeouts: timeouts, now: .now())
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { arm() }
    }

    public func channelActive(context: ChannelHandlerContext) {
        arm()
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer.cancel()
        self.context = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer.cancel()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if expired { return }
        bytesArrived()
        context.fireChannelRead(data)
    }

    /// Bytes arrived, here or (encrypted) before the TLS handler.
    func bytesArrived() {
        clock.bytesArrived(at: .now())
        arm()
    }

    // MARK: Reported by RequestPartsWatcher

    func headReceived() {
        clock.headReceived(at: .now())
        arm()
    }

    func requestEnded() {
        clock.requestEnded()
    }

    func responseStarted(closing: Bool) {
        clock.responseStarted(closing: closing)
    }

    /// Returns whether the connection should close once this response is written.
    func responseEnded() -> Bool {
        let close = clock.responseEnded(at: .now())
        arm()
        return close
    }

    // MARK: The timer

    private func arm() {
        guard let context else { return }
        timer.arm(clock.deadline, on: context.eventLoop) { [weak self] in self?.fired() }
    }

    private func fired() {
        timer.fired()
        guard let context, !expired else { return }
        switch clock.expiry(at: .now()) {
        case nil:
            arm()
        case .close?:
            expired = true
            context.close(promise: nil)
        case .requestTimeout(let reason)?:
            expired = true
            let body = "{\"error\":\"\(reason)\"}"
            let response = "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
                + "connection: close\r\n\r\n" + body
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in channel.close(promise: nil) }
            // A response that cannot leave (a TLS handshake that never finished holds it back) does not hold the
            // connection open: it closes a second later regardless.
            context.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        }
    }
}
