import ArgumentParser
import Coordinator
import Foundation
import HTTPSupport
import ModelRegistry
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

    @Option(help: "How long a dead or departed worker stays listed in the status (e.g. 5m).")
    var retention = DurationArgument.seconds(300)
    @Option(name: .customLong("retention-seconds"), help: .hidden) var retentionSeconds: Int?

    @Option(help: "Directory for the job database (jobs.sqlite) and trained models (models/).")
    var stateDir = "trainyard-state"

    @Option(name: .customLong("data-root"),
            help: "Directory job data files must lie under (repeatable; symbolic links are resolved, only regular files are read). Default: the working directory.")
    var dataRoots: [String] = []

    @Option(help: "How long a job whose workers are all gone waits for a live worker before failing (e.g. 30s).")
    var workerWait = DurationArgument.seconds(30)
    @Option(name: .customLong("worker-wait-seconds"), help: .hidden) var workerWaitSeconds: Int?

    @Option(help: "How long one exchange with the workers may take (e.g. 60s); a worker that has not answered by then is dropped from the job and its shards move to other workers.")
    var requestTimeout = DurationArgument.seconds(60)
    @Option(name: .customLong("request-timeout-seconds"), help: .hidden) var requestTimeoutSeconds: Int?

    @Option(help: "How often pipelines look for new dataset versions and advance their runs (e.g. 2s).")
    var pipelinePollInterval = DurationArgument.seconds(2)

    @Flag(help: "Grow every tree level by level through the coordinator, also for jobs on one worker (by default that worker grows whole trees; the model is the same).")
    var perLevelExchange = false

    @Option(help: "Publish each successful job's model to this registry URL (http:// or https://).")
    var registry: String?

    @Option(help: ArgumentHelp("API token for --registry (publisher; approver for pipelines that approve); default: TRAINYARD_TOKEN or TRAINYARD_TOKEN_FILE.", valueName: "token"))
    var registryToken: String?

    @OptionGroup(title: "Trust for an https:// --registry") var ca: CAFileOption

    @Option(help: "Run a registry inside the coordinator on HOST:PORT (data in STATE-DIR/registry) and publish models to it; a non-loopback HOST needs --tokens or --insecure.")
    var registryListen: ListenAddress?

    @OptionGroup var metrics: MetricsListenOption

    @OptionGroup(title: "The embedded registry (--registry-listen)") var access: AccessOptions
    @OptionGroup(title: "The embedded registry (--registry-listen)") var tls: TLSServerOptions

    @Option(help: "Run CURVE (encrypted, authenticated traffic) with this secret key file (from `trainyard keys generate`); needs --curve-allow.")
    var curveSecretKey: String?

    @Option(help: "Public keys admitted with CURVE: a directory of .pub files or a file of Z85 keys (repeatable). Workers and CLI clients alike need an allowed key.")
    var curveAllow: [String] = []

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if (curveSecretKey == nil) != curveAllow.isEmpty {
            throw ValidationError("give --curve-secret-key and --curve-allow together")
        }
        if requestTimeout.or(seconds: requestTimeoutSeconds) < .seconds(1) { throw ValidationError("--request-timeout must be at least 1s") }
        if registry != nil && registryListen != nil { throw ValidationError("give --registry URL or --registry-listen ADDR, not both") }
        if registryListen == nil && (access.tokens != nil || access.insecure || tls.tlsCert != nil || tls.tlsKey != nil) {
            throw ValidationError("--tokens, --insecure, --tls-cert and --tls-key apply to the embedded registry: give --registry-listen too")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "trainyard.coordinator")
        var settings = CoordinatorSettings(bind: bind)
        settings.membership.heartbeatInterval = heartbeat.interval
        settings.membership.heartbeatLiveness = heartbeat.heartbeatLiveness
        settings.membership.retention = retention.or(seconds: retentionSeconds)
        settings.jobs = JobSettings(stateDirectory: stateDir)
        settings.jobs.workerWait = workerWait.or(seconds: workerWaitSeconds)
        settings.jobs.requestTimeout = requestTimeout.or(seconds: requestTimeoutSeconds)
        settings.jobs.pipelinePollInterval = max(pipelinePollInterval.duration, .milliseconds(50))
        if !dataRoots.isEmpty { settings.jobs.dataRoots = dataRoots }
        settings.jobs.wholeTreesOnOneWorker = !perLevelExchange
        settings.software = "trainyard \(Trainyard.version)"
        if let curveSecretKey {
            do {
                guard CurveKey.isAvailable else { throw CurveKeyError.unsupported }
                settings.curve = CurveServerKeys(secretKey: try CurveKeyFile.read(curveSecretKey, secret: true),
                                                 allowed: try CurveAllowlist(paths: curveAllow))
            } catch {
                throw CommandFailure("cannot use CURVE: \(error)")
            }
        }
        var services: [any Service] = []
        if let registry {
            let token = registryToken ?? EnvironmentToken.value
            let client = RegistryClient(baseURL: registry, token: token, tlsConfiguration: try ca.configuration())
            settings.jobs.publisher = HTTPPublisher(client: client)
            settings.jobs.datasets = HTTPFetcher(client: client)
            settings.jobs.registry = HTTPRegistry(client: client)
        } else if let registryListen {
            let control = try access.control(listeningOn: registryListen.host)
            try registryListen.checkAvailable()
            let identity = try tls.identity()
            let store: RegistryStore
            do { store = try RegistryStore(directory: stateDir + "/registry") } catch { throw CommandFailure(error.description) }
            settings.jobs.publisher = StorePublisher(store: store)
            settings.jobs.datasets = StoreFetcher(store: store.datasets)
            settings.jobs.registry = StoreRegistry(store: store)
            let scheme = tls.scheme
            services.append(RegistryServer.application(store: store, host: registryListen.host, port: registryListen.port, access: control,
                                                       tls: identity, logger: logger) { port in
                printError("registry listening on \(scheme)://\(registryListen.host):\(port), data in \(stateDir)/registry")
            })
        }
        let service = CoordinatorService(settings: settings, context: try ZMQContext(), logger: logger)
        let coordinatorMetrics = service.metrics
        if let server = try metrics.service(component: "coordinator", logger: logger, exposition: { coordinatorMetrics.exposition() }) {
            services.append(server)
        }
        let group = ServiceGroup(services: [service] + services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as CoordinatorError {
            throw CommandFailure(error.description)
        }
    }
}
