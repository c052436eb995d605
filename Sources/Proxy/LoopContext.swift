import NIOCore
import NIOHTTP1
import NIOPosix

/// The state one event loop keeps for itself: its view of the backend set, an idle-connection pool per backend
/// and a request-id generator. Only ever touched on ``eventLoop``: a client connection and every backend
/// connection it uses live on the same loop, so a proxied request never hops threads and the pools need no locks.
final class LoopContext {
    /// Allocates the response heads written on this loop.
    let allocator = ByteBufferAllocator()
    let eventLoop: any EventLoop
    let core: ProxyCore
    /// Indexed by ``Backend/slot``; made on first use. A slot may still hold the pool of a backend that has
    /// left the set (until ``retire(_:)`` runs here), hence the identity check in ``pool(for:)``.
    private var pools: [BackendPool?] = []
    /// The backend set as this loop last read it; refreshed when the set's generation moves.
    private var snapshot: BackendSet.Snapshot
    var requestIDs = RequestIDGenerator()
    /// Request timeouts of the attempts under way on this loop.
    let timer: AttemptTimer
    /// Whether requests are pipelined on backend connections (``ProxySettings/pipelineDepth`` above 1).
    let pipelines: Bool
    /// Backend connections with requests written in this event-loop tick, flushed at its end.
    private var unflushed: [BackendConnection] = []

    /// Call on `eventLoop`.
    init(eventLoop: any EventLoop, core: ProxyCore) {
        self.eventLoop = eventLoop
        self.core = core
        self.timer = AttemptTimer(timeout: core.requestTimeout)
        self.snapshot = core.backends.snapshot
        self.pipelines = core.settings.pipelineDepth > 1
        timer.start(on: eventLoop)
    }

    /// The current backends: this loop's snapshot, re-read from the set only after a change (one atomic load).
    @inline(__always)
    var backends: [Backend] {
        if core.backends.generation != snapshot.generation { snapshot = core.backends.snapshot }
        return snapshot.backends
    }

    /// The next healthy backend in round-robin order, skipping `excluded`; nil when none is healthy.
    @inline(__always)
    func pick(excluding excluded: Backend? = nil) -> Backend? {
        core.backends.pick(from: backends, excluding: excluded)
    }

    /// Whether any backend is in the rotation.
    var anyHealthy: Bool { backends.contains { $0.isHealthy } }

    /// This loop's pool of `backend`, made on first use; nil once the backend has left the set, so that its
    /// connections close after their response instead of being kept.
    @inline(__always)
    func pool(for backend: Backend) -> BackendPool? {
        let slot = backend.slot
        if slot < pools.count, let pool = pools[slot], pool.backend === backend { return pool }
        guard !backend.isRetired else { return nil }
        while pools.count <= slot { pools.append(nil) }
        // A pool left in the slot belongs to a backend that has left the set since.
        pools[slot]?.closeAll()
        let pool = BackendPool(
            backend: backend, maxIdle: core.settings.maxIdleConnectionsPerBackend, depth: core.settings.pipelineDepth
        )
        pools[slot] = pool
        return pool
    }

    /// `backend` has left the set: closes this loop's idle connections to it and forgets its pool.
    func retire(_ backend: Backend) {
        let slot = backend.slot
        guard slot < pools.count, let pool = pools[slot], pool.backend === backend else { return }
        pool.closeAll()
        pools[slot] = nil
    }

    /// Flushes `connection` once the events of this loop tick are handled: NIO runs tasks queued from the loop
    /// after the tick's I/O, so every request read from clients in the tick is written by then, and those that
    /// went to the same connection leave in one system call.
    func flushAtEndOfTick(_ connection: BackendConnection) {
        if unflushed.isEmpty {
            eventLoop.assumeIsolatedUnsafeUnchecked().execute { [self] in
                let connections = unflushed
                unflushed.removeAll(keepingCapacity: true)
                for connection in connections { connection.flush() }
            }
        }
        unflushed.append(connection)
    }

    /// Opens a new keep-alive connection to `backend` on this loop and hands it over on this loop.
    func connect(to backend: Backend, _ completion: @escaping (Result<BackendConnection, any Error>) -> Void) {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(core.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BackendConnection(backend: backend))
                }
            }
        let connected: EventLoopFuture<any Channel>
        if let address = backend.socketAddress {
            connected = bootstrap.connect(to: address)
        } else {
            connected = bootstrap.connect(host: backend.address.host, port: backend.address.port)
        }
        connected.assumeIsolated().whenComplete { [self] result in
            completion(result.flatMap { channel in
                Result {
                    let connection = try channel.pipeline.syncOperations.handler(type: BackendConnection.self)
                    connection.pool = pool(for: backend)
                    return connection
                }
            })
        }
    }

    /// Closes every idle backend connection and stops the timeout sweeps (shutdown).
    func shutDown() {
        timer.stop()
        for pool in pools { pool?.closeAll() }
    }
}
