import ArgumentParser
import Coordinator
import ServiceLifecycle
import ZeroMQ

/// `trainyard coordinator`: run the coordinator until SIGTERM or SIGINT.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator: worker membership, the job queue and distributed training (ROUTER socket)."
    )

    @Option(help: "ZeroMQ endpoint to bind.")
    var bind = "tcp://0.0.0.0:5555"

    @OptionGroup var heartbeat: HeartbeatOptions

    @Option(help: "Seconds a dead or departed worker stays listed in the status.")
    var retentionSeconds: Int = 300

    @Option(help: "Directory for the job database (jobs.sqlite) and trained models (models/).")
    var stateDir = "trainyard-state"

    @Option(help: "Seconds a job whose workers are all gone waits for a live worker before failing.")
    var workerWaitSeconds: Int = 30

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "trainyard.coordinator")
        var settings = CoordinatorSettings(bind: bind)
        settings.membership.heartbeatInterval = .milliseconds(heartbeat.heartbeatIntervalMs)
        settings.membership.heartbeatLiveness = heartbeat.heartbeatLiveness
        settings.membership.retention = .seconds(retentionSeconds)
        settings.jobs = JobSettings(stateDirectory: stateDir)
        settings.jobs.workerWait = .seconds(workerWaitSeconds)
        settings.software = "trainyard \(Trainyard.version)"
        let service = CoordinatorService(settings: settings, context: try ZMQContext(), logger: logger)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as CoordinatorError {
            throw CommandFailure(error.description)
        }
    }
}
