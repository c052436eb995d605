import NIOCore
import NIOHTTP1
import NIOPosix
import Proxy
import Synchronization

/// An in-process replica stand-in on a loopback address (127.0.0.1 unless told otherwise): answers `/v2/health/ready` (200 or 503) and any other path with
/// JSON naming itself and the `X-Request-Id` it saw. Can be stopped (closing every connection) and restarted on
/// the same port, made unready, made to answer 503, or to close after every response.
final class TestBackend: Sendable {
    /// The parts of `GET /chunked-large` (sent chunked): large and small chunks mixed.
    static let largeChunks = [String(repeating: "a", count: 40_000), "b", String(repeating: "c", count: 70_000), "dd"]

    let name: String
    /// The IP address it listens on.
    let host: String
    private let boundPort: Atomic<Int>
    let ready = Atomic<Bool>(true)
    let answer503 = Atomic<Bool>(false)
    let closeAfterResponse = Atomic<Bool>(false)
    /// Milliseconds to wait before answering a non-health request.
    let answerDelay = Atomic<Int>(0)
    /// Milliseconds a request with a body of 10,000 bytes or more waits before its answer (others: ``answerDelay``).
    let largeBodyDelay = Atomic<Int>(0)
    /// Size of the body answered to `GET /large` (bytes `i % 251`, written in 64 KiB parts at once).
    let largeBodyBytes = Atomic<Int>(0)
    /// Set once the whole `/large` body has been handed to the kernel.
    let largeBodyWritten = Atomic<Bool>(false)
    /// Requests other than health probes.
    let requests = Atomic<Int>(0)
    /// The most requests received on one connection and not yet answered (above 1: the client pipelines).
    let maxOutstanding = Atomic<Int>(0)
    /// Health probes answered.
    let probes = Atomic<Int>(0)
    /// The `Host` header of the latest health probe.
    let probeHost = Mutex<String?>(nil)
    private let listener = Mutex<(any Channel)?>(nil)
    private let children = Mutex<[ObjectIdentifier: any Channel]>([:])

    private init(name: String, host: String, port: Int) {
        self.name = name
        self.host = host
        self.boundPort = Atomic(port)
    }

    /// The port it listens on (kept across ``restart()``).
    var port: Int { boundPort.load(ordering: .relaxed) }

    var address: BackendAddress { BackendAddress(host: host, port: port) }

    /// Starts on `host:port`, by default on an ephemeral port of 127.0.0.1. (Any 127.x.y.z works on Linux.)
    static func start(_ name: String, host: String = "127.0.0.1", port: Int = 0) async throws -> TestBackend {
        let backend = TestBackend(name: name, host: host, port: port)
        try await backend.bind()
        return backend
    }

    /// A port that refuses connections (bound once, then closed).
    static func closedPort() async throws -> Int {
        let backend = try await start("gone")
        await backend.stop()
        return backend.port
    }

    /// Binds again on the same port after ``stop()``.
    func restart() async throws {
        try await bind()
    }

    private func bind() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                let id = ObjectIdentifier(channel)
                children.withLock { $0[id] = channel }
                channel.closeFuture.whenComplete { [self] _ in _ = children.withLock { $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    let outstanding = OutstandingRequests(backend: self)
                    try channel.pipeline.syncOperations.addHandler(RequestLineCounter(outstanding: outstanding))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(TestBackendHandler(backend: self, outstanding: outstanding))
                }
            }
            .bind(host: host, port: port).get()
        boundPort.store(channel.localAddress!.port!, ordering: .relaxed)
        listener.withLock { $0 = channel }
    }

    /// Closes the listener and every open connection, like a replica process going away.
    func stop() async {
        let channel = listener.withLock { listener in
            defer { listener = nil }
            return listener
        }
        try? await channel?.close()
        for child in children.withLock({ Array($0.values) }) { try? await child.close() }
    }
}

private final class TestBackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let backend: TestBackend
    private let outstanding: OutstandingRequests
    private var head: HTTPRequestHead?
    private var bodyBytes = 0

    init(backend: TestBackend, outstanding: OutstandingRequests) {
        self.backend = backend
        self.outstanding = outstanding
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyBytes = 0
            if head.uri != "/v2/health/ready" { backend.requests.add(1, ordering: .relaxed) }
        case .body(let part):
            bodyBytes += part.readableBytes
        case .end:
            guard let head else { return }
            let delay = bodyBytes >= 10_000 ? backend.largeBodyDelay.load(ordering: .relaxed) : backend.answerDelay.load(ordering: .relaxed)
            if delay > 0 && head.uri != "/v2/health/ready" {
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(delay))) {
                    self.respond(to: head, context: context)
                }
            } else {
                respond(to: head, context: context)
            }
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        outstanding.count -= 1
        if head.uri == "/large" { return respondLarge(context: context) }
        if head.uri == "/chunked" { return respondChunked(context: context, parts: ["alpha ", "beta ", "gamma"]) }
        if head.uri == "/chunked-large" { return respondChunked(context: context, parts: TestBackend.largeChunks) }
        let status: HTTPResponseStatus
        let body: String
        let requestID = head.headers.first(name: "x-request-id") ?? ""
        if head.uri == "/v2/health/ready" {
            status = backend.ready.load(ordering: .relaxed) ? .ok : .serviceUnavailable
            backend.probeHost.withLock { $0 = head.headers.first(name: "host") }
            backend.probes.add(1, ordering: .relaxed)
            body = "{}"
        } else if backend.answer503.load(ordering: .relaxed) {
            status = .serviceUnavailable
            body = "{\"error\": \"model not loaded\"}"
        } else {
            status = .ok
            body = "{\"backend\": \"\(backend.name)\", \"requestId\": \"\(requestID)\", \"bodyBytes\": \(bodyBytes)}"
        }
        let close = backend.closeAfterResponse.load(ordering: .relaxed) || !head.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.utf8.count))
        headers.add(name: "x-model-version", value: "\(backend.name)-v1")
        headers.add(name: "x-backend", value: backend.name)
        headers.add(name: "x-seen-request-id", value: requestID)
        if close { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if close {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func respondLarge(context: ChannelHandlerContext) {
        let total = backend.largeBodyBytes.load(ordering: .relaxed)
        let headers: HTTPHeaders = ["content-type": "application/octet-stream", "content-length": String(total)]
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        // 256 rounds of the 251-byte pattern: every part continues the sequence `i % 251` exactly.
        var part = context.channel.allocator.buffer(capacity: 251 * 256)
        for index in 0..<251 * 256 { part.writeInteger(UInt8(index % 251)) }
        var offset = 0
        while offset < total {
            let count = min(part.readableBytes, total - offset)
            context.write(wrapOutboundOut(.body(.byteBuffer(part.getSlice(at: part.readerIndex, length: count)!))), promise: nil)
            offset += count
        }
        let backend = backend
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenSuccess { backend.largeBodyWritten.store(true, ordering: .relaxed) }
    }

    /// Body parts and no length: NIO's encoder sends them chunked.
    private func respondChunked(context: ChannelHandlerContext, parts: [String]) {
        let headers: HTTPHeaders = ["content-type": "text/plain", "x-backend": backend.name]
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        for part in parts {
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: part)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// Requests received on one connection and not yet answered: counted from the raw bytes, before NIO's
/// pipelining handler holds back all but the first.
private final class OutstandingRequests {
    let backend: TestBackend
    var count = 0 {
        didSet { if count > oldValue { _ = backend.maxOutstanding.max(count, ordering: .relaxed) } }
    }

    init(backend: TestBackend) {
        self.backend = backend
    }
}

/// Counts request lines (` HTTP/1.1` + CRLF) in what the client sends; the test requests are small enough that
/// a request line is never split between two reads.
private final class RequestLineCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private static let marker = Array(" HTTP/1.1\r\n".utf8)
    private let outstanding: OutstandingRequests

    init(outstanding: OutstandingRequests) {
        self.outstanding = outstanding
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(buffer: unwrapInboundIn(data))
        var lines = 0
        var index = 0
        while index + Self.marker.count <= bytes.count {
            if bytes[index..<(index + Self.marker.count)].elementsEqual(Self.marker) {
                lines += 1
                index += Self.marker.count
            } else {
                index += 1
            }
        }
        outstanding.count += lines
        context.fireChannelRead(data)
    }
}
