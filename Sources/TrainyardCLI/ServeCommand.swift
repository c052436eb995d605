import ArgumentParser
import Foundation
import HTTPSupport
import ModelRegistry
import Serving

/// `trainyard serve`: an inference replica.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run an inference replica: /predict, MLflow /invocations, V2 inference, /metrics and the prediction log.",
        discussion: "Serves the version an alias of a registered model points at and follows the alias as it moves, or a model file (--model-file)."
    )

    @Option(help: "The registry's URL (http:// or https://).") var registry = "http://127.0.0.1:8080"
    @Option(help: "Registered model name.") var model: String?
    @Option(help: "Alias to serve and follow.") var alias = "production"
    @Option(help: "Serve this model file instead of a registry alias.") var modelFile: String?
    @Option(help: "Address to listen on: HOST:PORT, or :PORT for every interface (which needs --tokens or --insecure).")
    var listen = ListenAddress(host: "127.0.0.1", port: 9000)
    @Option(help: "Prediction log (SQLite); 'none' to disable.") var log = "trainyard-predictions.sqlite"
    @Flag(help: "Keep each request's body in the prediction log, not only its SHA-256.") var logInputs = false
    @Option(help: ArgumentHelp("When a response waits for its log record: batched or commit.",
                               discussion: "batched (default): records are committed in batches every 50 ms; a replica killed with SIGKILL loses at most the last 50 ms of records. commit: each response is sent once its record is in the log's journal (an append-only file beside it that survives SIGKILL; the next start copies what a kill left into the log)."))
    var logDurability = LogDurability.batched
    @Option(help: "Largest accepted request body, in bytes.") var maxBodyBytes = 1 << 20
    @Option(help: "Drift: compare the most recent N rows with the training baseline.") var driftWindowRows = 1000
    @Option(help: "Drift: rows older than this leave the window (e.g. 1h, 10m).") var driftWindow = DurationArgument.seconds(3600)
    @Option(help: "Drift: record at most this many requests a second (0: every request).") var driftRecordsPerSecond = 1000
    @Option(help: "How often to check the alias for a new version (e.g. 1s, 250ms).") var pollInterval = DurationArgument.seconds(1)
    @Option(name: .customLong("poll-interval-ms"), help: .hidden) var pollIntervalMs: Int?
    @OptionGroup var access: AccessOptions
    @Option(help: ArgumentHelp("API token for the registry; default: TRAINYARD_TOKEN or TRAINYARD_TOKEN_FILE.", valueName: "token"))
    var registryToken: String?
    @OptionGroup(title: "Trust for an https:// --registry") var ca: CAFileOption
    @OptionGroup var tls: TLSServerOptions
    @OptionGroup var connectionTimeouts: ConnectionTimeoutOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (model == nil) != (modelFile == nil) || (model != nil && modelFile != nil) else {
            throw ValidationError("give --model NAME (served from the registry) or --model-file PATH")
        }
        if let model, !ModelName.isValid(model) { throw ValidationError(RegistryError.invalidName(model, kind: "model name").description) }
        guard (1...1_000_000).contains(driftWindowRows) else { throw ValidationError("--drift-window-rows must be between 1 and 1,000,000") }
        guard driftRecordsPerSecond >= 0 else { throw ValidationError("--drift-records-per-second must be 0 (every request) or more") }
        guard maxBodyBytes > 0, pollInterval.or(milliseconds: pollIntervalMs) > .zero else {
            throw ValidationError("--max-body-bytes and --poll-interval must be positive")
        }
    }

    func run() async throws {
        try listen.checkAvailable()
        let logger = logging.bootstrap(label: "trainyard.replica")
        var settings = ReplicaSettings()
        settings.host = listen.host
        settings.port = listen.port
        settings.maxBodyBytes = maxBodyBytes
        settings.pollInterval = pollInterval.or(milliseconds: pollIntervalMs)
        settings.logPath = log == "none" ? nil : log
        settings.logInputs = logInputs
        settings.drift = DriftMonitor.Settings(windowRows: driftWindowRows, windowSeconds: driftWindow.duration / .seconds(1),
                                               recordsPerSecond: driftRecordsPerSecond == 0 ? nil : driftRecordsPerSecond)
        settings.logDurability = logDurability
        settings.timeouts = try connectionTimeouts.timeouts()
        settings.access = try access.control(listeningOn: listen.host)
        settings.tls = try tls.identity()
        let source: ModelSource
        if let modelFile {
            source = .file(path: modelFile, name: model ?? ((modelFile as NSString).lastPathComponent as NSString).deletingPathExtension)
        } else {
            let token = registryToken ?? EnvironmentToken.value
            source = .registry(RegistryClient(baseURL: registry, token: token, tlsConfiguration: try ca.configuration()), name: model!, alias: alias)
        }
        let replica = try Replica(source: source, settings: settings, logger: logger)
        let origin = modelFile ?? "\(model!)@\(alias) from \(registry)"
        try await replica.run { port in
            printError("replica listening on \(tls.scheme)://\(listen.host):\(port), serving \(origin)")
        }
    }
}

extension LogDurability: ExpressibleByArgument {}
