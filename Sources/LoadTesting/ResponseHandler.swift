import NIOCore
import NIOHTTP1

/// The last handler of a load connection's pipeline: sends each request and reports each decoded
/// response (status, counted header value) and each channel error to its ``LoadConnection``.
final class ResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let connection: LoadConnection
    private let requestHead: HTTPRequestHead
    private let countHeader: String?
    private var context: ChannelHandlerContext?
    private var status = 0
    private var keepAlive = true
    private var headerValue: String?

    init(connection: LoadConnection, requestHead: HTTPRequestHead, countHeader: String?) {
        self.connection = connection
        self.requestHead = requestHead
        self.countHeader = countHeader
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes one request (its prebuilt bytes, via ``RequestBytesWriter``); ``flush()`` sends it.
    func write() {
        context?.write(wrapOutboundOut(.head(requestHead)), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
            if let countHeader { headerValue = head.headers.first(name: countHeader) ?? "(none)" }
        case .body:
            break
        case .end:
            connection.responseCompleted(status: status, keepAlive: keepAlive, headerValue: headerValue)
            headerValue = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.channelFailed(LoadErrorKind.classify(error))
        context.close(promise: nil)
    }
}
