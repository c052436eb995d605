import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Reports a connection's parsed request parts and written response parts to its ``SlowClientWatcher``, and closes
/// the connection once a response that says `Connection: close` is written (Hummingbird closes only when the
/// *request* asked to; a `413` or `408` answered before its body was read must close, or a client still sending
/// would be left writing into a connection nobody reads).
final class RequestPartsWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let watcher: SlowClientWatcher

    init(watcher: SlowClientWatcher) {
        self.watcher = watcher
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: watcher.headReceived()
        case .body: break
        case .end: watcher.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.status.kind != .informational {
                watcher.responseStarted(closing: head.headerFields[.connection]?.lowercased() == "close")
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard watcher.responseEnded() else { return context.write(data, promise: promise) }
            let written = promise ?? context.eventLoop.makePromise()
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            context.writeAndFlush(data, promise: written)
        }
    }
}
