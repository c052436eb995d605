import HTTPSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// The `trainyard proxy` server: accepts HTTP/1.1 clients and spreads their requests round robin over the
/// healthy backends, with per-event-loop keep-alive pools, active health checks, passive ejection, one
/// retry on another backend, request ids, limits, `/metrics` and `/proxy/backends`. The backends are the
/// `settings.backends` plus every address the `settings.discover` names resolve to, re-resolved periodically
/// (see ``BackendRoster`` for how backends join and leave).
///
/// Call ``start()`` then ``stop()``, or run it as a ServiceLifecycle `Service` (``run()`` starts it if
/// needed and stops it on graceful shutdown). Thread-safe.
public final class ProxyServer: Sendable {
    /// The settings the server was made with.
    public let settings: ProxySettings
    /// The registry served on `GET /metrics`; other components may register their own metrics in it.
    public let registry: PrometheusCollectorRegistry

    private let core: ProxyCore
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let loops: [ObjectIdentifier: NIOLoopBoundBox<LoopContext?>]
    private let roster: BackendRoster
    private let discovery: BackendDiscovery?
    private let clients = ChannelTracker()
    private let state = Mutex<RunState>(.idle)

    private enum RunState {
        case idle
        case running(any Channel)
        case stopped
    }

    /// Validates `settings` and prepares (but does not bind) the server.
    /// - Parameters:
    /// Resolves the names of `settings.backends` now (blocking); `settings.discover` names are resolved from
    /// ``start()`` on.
    /// - Parameters:
    ///   - eventLoopGroup: loops to run on; by default the server makes `settings.threads` of its own and shuts
    ///     them down in ``stop()``.
    ///   - resolver: resolves the `settings.discover` names; it is called on `threadPool`.
    ///   - threadPool: where the blocking resolutions run.
    /// - Throws: ``ProxyError`` when a setting is out of range.
    public init(
        settings: ProxySettings,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        eventLoopGroup: (any EventLoopGroup)? = nil,
        resolver: any HostResolver = SystemResolver(),
        threadPool: NIOThreadPool = .singleton,
        logger: Logger = Logger(label: "trainyard.proxy")
    ) throws(ProxyError) {
        try settings.validate()
        self.settings = settings
        self.registry = registry
        let core = ProxyCore(settings: settings, metrics: ProxyMetrics(registry: registry), logger: logger)
        self.core = core
        if let eventLoopGroup {
            group = eventLoopGroup
            ownsGroup = false
        } else {
            group = MultiThreadedEventLoopGroup(numberOfThreads: settings.threads)
            ownsGroup = true
        }
        var loops: [ObjectIdentifier: NIOLoopBoundBox<LoopContext?>] = [:]
        for loop in group.makeIterator() {
            loops[ObjectIdentifier(loop)] = .makeEmptyBox(valueType: LoopContext.self, eventLoop: loop)
        }
        self.loops = loops
        let roster = BackendRoster(core: core, group: group, loops: Array(loops.values))
        self.roster = roster
        if settings.discover.isEmpty {
            discovery = nil
        } else {
            discovery = BackendDiscovery(
                targets: settings.discover, interval: settings.discoverInterval, resolver: resolver,
                threadPool: threadPool, eventLoop: group.next(), roster: roster, logger: logger
            )
        }
    }

    /// Binds the listening socket and starts the health checks and discovery (whose first round runs in the
    /// background: a discovered backend is listed at once but serves only after its first passing probe).
    /// - Returns: the bound address (useful with port 0).
    /// - Throws: ``ProxyError/bindFailed(host:port:reason:)``.
    @discardableResult
    public func start() async throws(ProxyError) -> SocketAddress {
        let listen = settings.listen
        let loops = loops
        let core = core
        let clients = clients
        let tls = settings.tls
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let loop = Self.context(for: channel.eventLoop, in: loops, core: core)
                    let sync = channel.pipeline.syncOperations
                    // Requests arrive and responses leave as bytes: ProxyHandler frames and writes them itself.
                    let handler = ProxyHandler(loop: loop, clientAddress: channel.remoteAddress?.ipAddress)
                    if let tls {
                        try sync.addHandler(EncryptedBytesWatcher { handler.encryptedBytesArrived() })
                        try sync.addHandler(tls.makeServerHandler())
                    }
                    try sync.addHandler(handler)
                    clients.add(channel)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: listen.host, port: listen.port).get()
        } catch {
            throw .bindFailed(host: listen.host, port: listen.port, reason: "\(error)")
        }
        let started = state.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .running(channel)
            return true
        }
        guard started else {
            try? await channel.close()
            throw .bindFailed(host: listen.host, port: listen.port, reason: "the server was already started or stopped")
        }
        roster.start()
        discovery?.start()
        let address = channel.localAddress!
        core.logger.info("proxy listening", metadata: [
            "address": "\(address)", "scheme": "\(tls == nil ? "http" : "https")", "backends": "\(settings.backends.map(\.description).joined(separator: ", "))",
            "discover": "\(settings.discover.map(\.description).joined(separator: ", "))",
        ])
        return address
    }

    /// The bound address while running.
    public var localAddress: SocketAddress? {
        state.withLock { state in
            if case .running(let channel) = state { return channel.localAddress }
            return nil
        }
    }

    /// Stops accepting, lets requests in progress finish (up to `shutdownGracePeriod`), closes every connection,
    /// stops discovery and the health checks and, if the server made its own event loops, shuts them down.
    /// Idempotent.
    public func stop() async {
        let listener: (any Channel)? = state.withLock { state in
            defer { state = .stopped }
            if case .running(let channel) = state { return channel }
            return nil
        }
        discovery?.stop()
        roster.stop()
        if let listener {
            try? await listener.close()
            let open = clients.all
            for channel in open { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
            let grace = TimeAmount(settings.shutdownGracePeriod)
            for channel in open {
                let closed = channel.closeFuture
                let timer = channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
                try? await closed.get()
                timer.cancel()
            }
            for (_, box) in loops {
                try? await box.eventLoop.submit { box.value?.shutDown() }.get()
            }
        }
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    /// Every backend in the set now, with its health and counters, as `GET /proxy/backends` reports them.
    public func backendStatuses() -> [BackendStatus] {
        core.backends.backends.map(\.status)
    }

    /// The loop's context, made on first use (on the loop itself, as NIOLoopBoundBox requires).
    private static func context(
        for eventLoop: any EventLoop,
        in loops: [ObjectIdentifier: NIOLoopBoundBox<LoopContext?>],
        core: ProxyCore
    ) -> LoopContext {
        guard let box = loops[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("a client connection was accepted on an event loop outside the server's group")
        }
        if let context = box.value { return context }
        let context = LoopContext(eventLoop: eventLoop, core: core)
        box.value = context
        return context
    }
}

extension ProxyServer: Service {
    /// Starts the server unless ``start()`` was already called, waits for graceful shutdown (SIGTERM/SIGINT
    /// through a ServiceGroup) or cancellation, then ``stop()``s.
    public func run() async throws {
        let idle = state.withLock { state in
            if case .idle = state { return true }
            return false
        }
        if idle { try await start() }
        try? await gracefulShutdown()
        await stop()
    }
}
