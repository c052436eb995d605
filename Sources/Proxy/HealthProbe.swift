import NIOCore
import NIOHTTP1

/// One `GET <health path>` on a fresh connection (`Connection: close`): succeeds with the status code,
/// fails when the connection breaks before a complete response.
final class HealthProbe: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let path: String
    private let host: String
    private let result: EventLoopPromise<UInt>
    private var status: UInt?
    private var done = false

    init(path: String, host: String, result: EventLoopPromise<UInt>) {
        self.path = path
        self.host = host
        self.result = result
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: host)
        headers.add(name: "connection", value: "close")
        headers.add(name: "user-agent", value: "trainyard-proxy-health")
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))),
                      promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            status = head.status.code
        case .head, .body:
            break
        case .end:
            if let status { complete(.success(status)) }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(ChannelError.eof))
        context.fireChannelInactive()
    }

    private func complete(_ outcome: Result<UInt, any Error>) {
        guard !done else { return }
        done = true
        result.completeWith(outcome)
    }
}
