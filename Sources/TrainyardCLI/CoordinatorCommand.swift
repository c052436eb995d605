import ArgumentParser
import Coordinator
import ServiceLifecycle
import ZeroMQ

/// `trainyard coordinator`: run the coordinator until SIGTERM or SIGINT.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator: worker membership and heartbeats (ROUTER socket)."
    )

    @Option(help: "ZeroMQ endpoint to bind.")
    var bind = "tcp://0.0.0.0:5555"

    @OptionGroup var heartbeat: HeartbeatOptions

    @Option(help: "Seconds a dead or departed worker stays listed in the status.")
    var retentionSeconds: Int = 300

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "trainyard.coordinator")
        var settings = CoordinatorSettings(bind: bind)
        settings.membership.heartbeatInterval = .milliseconds(heartbeat.heartbeatIntervalMs)
        settings.membership.heartbeatLiveness = heartbeat.heartbeatLiveness
        settings.membership.retention = .seconds(retentionSeconds)
        let service = CoordinatorService(settings: settings, context: try ZMQContext(), logger: logger)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
