import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Active health checks of one backend: `GET healthPath` every `healthInterval` (measured from the end of the
/// previous probe, so probes never overlap). 2xx puts the backend in the rotation, anything else takes it out.
/// Runs on one event loop; thread-safe.
final class HealthChecker: Sendable {
    private let backend: Backend
    private let eventLoop: any EventLoop
    private let path: String
    private let interval: TimeAmount
    private let timeout: TimeAmount
    private let connectTimeout: TimeAmount
    private let task = Mutex<RepeatedTask?>(nil)

    init(backend: Backend, eventLoop: any EventLoop, settings: ProxySettings) {
        self.backend = backend
        self.eventLoop = eventLoop
        self.path = settings.healthPath
        self.interval = TimeAmount(settings.healthInterval)
        self.timeout = TimeAmount(settings.healthTimeout)
        self.connectTimeout = min(TimeAmount(settings.connectTimeout), TimeAmount(settings.healthTimeout))
    }

    /// Starts probing now.
    func start() {
        let repeated = eventLoop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: interval) { [self] _ in
            probe()
        }
        task.withLock { $0 = repeated }
    }

    /// Stops probing; a probe in progress finishes on its own.
    func stop() {
        task.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    /// One probe; the returned future always succeeds so that the repeated task keeps going.
    private func probe() -> EventLoopFuture<Void> {
        let result = eventLoop.makePromise(of: UInt.self)
        let path = path
        let host = backend.address.hostHeader
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HealthProbe(path: path, host: host, result: result))
                }
            }
        let connected = backend.socketAddress.map { bootstrap.connect(to: $0) }
            ?? bootstrap.connect(host: backend.address.host, port: backend.address.port)
        connected.whenFailure { result.fail($0) }
        let deadline = eventLoop.scheduleTask(in: timeout) {
            result.fail(ChannelError.connectTimeout(self.timeout))
        }
        let backend = backend
        let millis = timeout.nanoseconds / 1_000_000
        return result.futureResult.map { status in
            deadline.cancel()
            connected.whenSuccess { $0.close(promise: nil) }
            if (200..<300).contains(status) {
                backend.probePassed()
            } else {
                backend.probeFailed("health check answered \(status)")
            }
        }.recover { error in
            deadline.cancel()
            connected.whenSuccess { $0.close(promise: nil) }
            if case ChannelError.connectTimeout = error {
                backend.probeFailed("health check not answered within \(millis) ms")
            } else {
                backend.probeFailed("health check failed: \(error)")
            }
        }
    }
}
