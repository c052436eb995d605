import NIOCore
import NIOHTTP1
import NIOPosix

/// The state one event loop keeps for itself: an idle-connection pool per backend and a request-id generator.
/// Only ever touched on ``eventLoop``: a client connection and every backend connection it uses live on the same
/// loop, so a proxied request never hops threads and the pools need no locks.
final class LoopContext {
    let eventLoop: any EventLoop
    let core: ProxyCore
    /// Indexed by ``Backend/index``.
    let pools: [BackendPool]
    var requestIDs = RequestIDGenerator()
    /// Request timeouts of the attempts under way on this loop.
    let timer: AttemptTimer

    /// Call on `eventLoop`.
    init(eventLoop: any EventLoop, core: ProxyCore) {
        self.eventLoop = eventLoop
        self.core = core
        self.timer = AttemptTimer(timeout: core.requestTimeout)
        self.pools = core.backends.backends.map {
            BackendPool(backend: $0, maxIdle: core.settings.maxIdleConnectionsPerBackend)
        }
        timer.start(on: eventLoop)
    }

    /// Opens a new keep-alive connection to `backend` on this loop and hands it over on this loop.
    func connect(to backend: Backend, _ completion: @escaping (Result<BackendConnection, any Error>) -> Void) {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(core.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(enableOutboundHeaderValidation: false)
                    try channel.pipeline.syncOperations.addHandler(BackendConnection(backend: backend))
                }
            }
        let connected: EventLoopFuture<any Channel>
        if let address = backend.socketAddress {
            connected = bootstrap.connect(to: address)
        } else {
            connected = bootstrap.connect(host: backend.address.host, port: backend.address.port)
        }
        let pool = pools[backend.index]
        connected.assumeIsolated().whenComplete { result in
            completion(result.flatMap { channel in
                Result {
                    let connection = try channel.pipeline.syncOperations.handler(type: BackendConnection.self)
                    connection.pool = pool
                    return connection
                }
            })
        }
    }

    /// Closes every idle backend connection and stops the timeout sweeps (shutdown).
    func shutDown() {
        timer.stop()
        for pool in pools { pool.closeAll() }
    }
}
