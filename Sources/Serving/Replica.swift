import HTTPSupport
import Hummingbird
import Logging
import ServiceLifecycle

/// An inference replica: a ``ModelWatcher`` filling a ``ModelSlot`` and the HTTP API in
/// ``ReplicaRoutes`` answering from it, with a ``PredictionLog`` closed on shutdown.
public struct Replica: Sendable {
    public let settings: ReplicaSettings
    public let slot = ModelSlot()
    public let metrics: ServingMetrics
    public let log: PredictionLog?
    public let watcher: ModelWatcher
    public let logger: Logger

    public init(source: ModelSource, settings: ReplicaSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        let metrics = ServingMetrics()
        self.metrics = metrics
        log = try settings.logPath.map { try PredictionLog(path: $0, durability: settings.logDurability, metrics: metrics) }
        watcher = ModelWatcher(source: source, slot: slot, pollInterval: settings.pollInterval, metrics: metrics, logger: logger,
                               drift: settings.drift)
    }

    /// Serves until SIGINT/SIGTERM (or until the service group is cancelled), then writes
    /// the prediction log's last batch. `onRunning` gets the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        router.add(middleware: ErrorBodyMiddleware())
        ReplicaRoutes(replica: self).add(to: router)
        let app = Application(router: router, server: .guarded(settings.timeouts, tls: settings.tls),
                              configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "trainyard-replica"),
                              onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? settings.port) },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app, watcher], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        defer { log?.close() }
        try await group.run()
    }
}
