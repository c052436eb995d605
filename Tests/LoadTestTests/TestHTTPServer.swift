import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 (ephemeral port) for load tests: answers `ok` with an
/// `X-Model-Version` header, and can delay, stall once, fail some requests or drop a connection.
final class TestHTTPServer: Sendable {
    /// How the server answers request number `n` (counted from 1 across all connections).
    struct Behavior: Sendable {
        /// Every request whose number is a multiple of this gets status 500.
        var failEvery: Int?
        /// This request's response is held for ``stall`` before being sent.
        var stallAt: Int?
        var stall: TimeAmount = .milliseconds(200)
        /// Delay added to every response.
        var delay: TimeAmount?
        /// This request gets no response: its connection is closed instead.
        var closeAt: Int?
    }

    let behavior: Behavior
    let requestCount = Atomic<Int>(0)
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    var port: Int { channel.localAddress!.port! }
    var url: String { "http://127.0.0.1:\(port)/predict" }

    private init(behavior: Behavior, group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.behavior = behavior
        self.group = group
        self.channel = channel
    }

    static func start(_ behavior: Behavior = Behavior()) async throws -> TestHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(server: box.server!))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TestHTTPServer(behavior: behavior, group: group, channel: channel)
        box.server = server
        return server
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    /// A port on which nothing listens (bound, then closed).
    static func closedPort() async throws -> Int {
        let server = try await start()
        let port = server.port
        try await server.stop()
        return port
    }

    private final class ServerBox: @unchecked Sendable {
        // Written once before the first connection can be accepted.
        var server: TestHTTPServer?
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: TestHTTPServer
        var number = 0

        init(server: TestHTTPServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                number = server.requestCount.wrappingAdd(1, ordering: .relaxed).newValue
            case .body:
                break
            case .end:
                let behavior = server.behavior
                if behavior.closeAt == number {
                    context.close(promise: nil)
                    return
                }
                var wait = behavior.delay ?? .zero
                if behavior.stallAt == number { wait = wait + behavior.stall }
                let failed = behavior.failEvery.map { number % $0 == 0 } ?? false
                let version = number % 2 == 0 ? "v2" : "v1"
                if wait > .zero {
                    context.eventLoop.assumeIsolated().scheduleTask(in: wait) {
                        self.respond(context: context, failed: failed, version: version)
                    }
                } else {
                    respond(context: context, failed: failed, version: version)
                }
            }
        }

        private func respond(context: ChannelHandlerContext, failed: Bool, version: String) {
            guard context.channel.isActive else { return }
            let body = failed ? "fail" : "ok"
            var headers = HTTPHeaders([("Content-Length", String(body.utf8.count)), ("X-Model-Version", version)])
            headers.add(name: "Content-Type", value: "text/plain")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: failed ? .internalServerError : .ok,
                                                                 headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
