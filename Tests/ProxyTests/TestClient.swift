import NIOCore
import NIOHTTP1
import NIOPosix

/// A response as the tests see it.
struct TestResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: String
}

/// A minimal keep-alive HTTP/1.1 client over one connection: one request at a time, in order.
final class TestClient: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func connect(port: Int) async throws -> TestClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(TestClientHandler())
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestClient(channel: channel)
    }

    /// Sends a request; the body goes with `Content-Length` unless `chunked`, then in two chunks.
    func request(
        _ method: HTTPMethod = .POST, _ uri: String = "/predict", headers: [(String, String)] = [],
        body: String? = nil, chunked: Bool = false
    ) async throws -> TestResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers.add(name: "host", value: "proxy.test")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        var parts: [ByteBuffer] = []
        if let body {
            if chunked {
                let middle = body.index(body.startIndex, offsetBy: body.count / 2)
                parts = [ByteBuffer(string: String(body[..<middle])), ByteBuffer(string: String(body[middle...]))]
            } else {
                head.headers.add(name: "content-length", value: String(body.utf8.count))
                parts = [ByteBuffer(string: body)]
            }
        }
        let promise = channel.eventLoop.makePromise(of: TestResponse.self)
        channel.writeAndFlush(TestRequest(head: head, body: parts, response: promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// A proxied `POST /predict` that must succeed; returns the backend's name.
    func predict() async throws -> String {
        let response = try await request(body: "{\"x\": [1, 2, 3]}")
        guard response.status == .ok, let backend = response.headers.first(name: "x-backend") else {
            throw TestFailure("predict answered \(response.status): \(response.body)")
        }
        return backend
    }

    func close() async {
        try? await channel.close()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private struct TestRequest: Sendable {
    var head: HTTPRequestHead
    var body: [ByteBuffer]
    var response: EventLoopPromise<TestResponse>
}

private final class TestClientHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = TestRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting: [EventLoopPromise<TestResponse>] = []
    private var current: TestResponse?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.response)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        for part in request.body { context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            current = TestResponse(status: head.status, headers: head.headers, body: "")
        case .body(let part):
            current?.body += String(buffer: part)
        case .end:
            if let current, !waiting.isEmpty { waiting.removeFirst().succeed(current) }
            current = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for promise in waiting { promise.fail(ChannelError.eof) }
        waiting.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        for promise in waiting { promise.fail(error) }
        waiting.removeAll()
        context.close(promise: nil)
    }
}

/// Sends raw bytes and collects everything the server sends until it closes the connection.
enum RawConnection {
    static func exchange(port: Int, _ request: String) async throws -> String {
        let received = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CollectUntilClose(done: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        return try await received.futureResult.get()
    }

    private final class CollectUntilClose: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let done: EventLoopPromise<String>
        private var text = ""

        init(done: EventLoopPromise<String>) {
            self.done = done
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            text += String(buffer: unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.succeed(text)
            context.fireChannelInactive()
        }
    }
}

/// A client that sends one request and then reads nothing until told to: the proxy must hold the response
/// back rather than buffer it. Its receive buffer is kept small, so the kernel cannot absorb the response either.
final class SlowReader: Sendable {
    private let channel: any Channel
    private let received: EventLoopFuture<(status: String, bodyBytes: Int, patternHolds: Bool)>

    static func send(port: Int, _ request: String) async throws -> SlowReader {
        let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: (status: String, bodyBytes: Int, patternHolds: Bool).self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 65_536)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PatternCounter(done: promise))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        return SlowReader(channel: channel, received: promise.futureResult)
    }

    private init(channel: any Channel, received: EventLoopFuture<(status: String, bodyBytes: Int, patternHolds: Bool)>) {
        self.channel = channel
        self.received = received
    }

    /// Starts reading and waits for the server to close: the status line, the body's size, and whether every
    /// sampled body byte `i` equals `i % 251`.
    func readAll() async throws -> (status: String, bodyBytes: Int, patternHolds: Bool) {
        try await channel.setOption(.autoRead, value: true)
        channel.read()
        return try await received.get()
    }

    private final class PatternCounter: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let done: EventLoopPromise<(status: String, bodyBytes: Int, patternHolds: Bool)>
        private var head: [UInt8] = []
        private var status = ""
        private var bodyBytes = 0
        private var patternHolds = true
        private var inBody = false

        init(done: EventLoopPromise<(status: String, bodyBytes: Int, patternHolds: Bool)>) {
            self.done = done
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            if !inBody {
                head += buffer.readBytes(length: buffer.readableBytes)!
                guard let end = head.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
                status = String(decoding: head[..<(head.firstRange(of: Array("\r\n".utf8))!.lowerBound)], as: UTF8.self)
                buffer = ByteBuffer(bytes: head[end.upperBound...])
                inBody = true
            }
            // Every 4099th byte (a prime stride, so all residues are visited) is checked.
            let start = bodyBytes
            let count = buffer.readableBytes
            var offset = (4099 - start % 4099) % 4099
            while offset < count {
                if buffer.getInteger(at: buffer.readerIndex + offset, as: UInt8.self) != UInt8((start + offset) % 251) { patternHolds = false }
                offset += 4099
            }
            bodyBytes += count
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.succeed((status, bodyBytes, patternHolds))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

