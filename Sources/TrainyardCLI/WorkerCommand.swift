import ArgumentParser
import ServiceLifecycle
import TrainyardProtocol
import Worker
import ZeroMQ

/// `trainyard worker`: join a coordinator and stay registered until SIGTERM or SIGINT.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: registers with a coordinator, heartbeats, and trains the shards it is sent (DEALER socket)."
    )

    @Option(help: "The coordinator's ZeroMQ endpoint.")
    var connect = "tcp://127.0.0.1:5555"

    @Option(help: "Worker id (default: <host>-<pid>). 1–255 printable ASCII characters, no spaces.")
    var id: String?

    @Option(help: "Cores to offer and to compute with (default: all online cores).")
    var cores: Int?

    @OptionGroup var heartbeat: HeartbeatOptions

    @Option(help: "Longest delay between reconnection attempts (e.g. 32s).")
    var reconnectMax = DurationArgument.seconds(32)
    @Option(name: .customLong("reconnect-max-ms"), help: .hidden) var reconnectMaxMs: Int?

    @Option(help: "MiB of received shards kept for reuse by later jobs and trials on the same rows (0: none).")
    var shardCacheMb = WorkerSettings.defaultShardCacheBytes >> 20

    @OptionGroup var metrics: MetricsListenOption

    @Option(help: .hidden)
    var protocolVersion: UInt16 = ProtocolVersion.current

    /// Tests only: answer TREE_GROW as unsupported, like a worker implementing just the per-level protocol.
    @Flag(help: .hidden)
    var perLevelOnly = false

    @OptionGroup var keys: KeysClientOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let id, !Register.isValidWorkerID(id) {
            throw ValidationError("--id must be 1–255 printable ASCII characters without spaces")
        }
        if let cores, cores < 1 { throw ValidationError("--cores must be at least 1") }
        if shardCacheMb < 0 || shardCacheMb > 1 << 30 { throw ValidationError("--shard-cache-mb must be between 0 and 2^30") }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "trainyard.worker")
        var settings = WorkerSettings(
            connect: connect,
            identity: WorkerSettings.localIdentity(workerID: id, cores: cores, software: "trainyard \(Trainyard.version)"))
        settings.heartbeatInterval = heartbeat.interval
        settings.heartbeatLiveness = heartbeat.heartbeatLiveness
        settings.reconnectMax = reconnectMax.or(milliseconds: reconnectMaxMs)
        settings.protocolVersion = protocolVersion
        settings.growsWholeTrees = !perLevelOnly
        settings.shardCacheBytes = shardCacheMb << 20
        settings.curve = try keys.keys()
        let service = WorkerService(settings: settings, context: try ZMQContext(), logger: logger)
        var services: [any Service] = [service]
        let workerMetrics = service.metrics
        if let server = try metrics.service(component: "worker", logger: logger, exposition: { workerMetrics.exposition() }) {
            services.append(server)
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as WorkerError {
            throw CommandFailure(error.description)
        }
    }
}
