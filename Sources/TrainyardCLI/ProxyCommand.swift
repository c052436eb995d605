import ArgumentParser
import Foundation
import HTTPSupport
import Proxy
import ServiceLifecycle

/// `trainyard proxy`: a round-robin HTTP/1.1 reverse proxy in front of inference replicas, until SIGTERM or SIGINT.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the round-robin HTTP reverse proxy in front of inference replicas (health checks, ejection, one retry).",
        discussion: """
            Backends come from --backend URLs and from --discover names, which are re-resolved every \
            --discover-interval (one backend per address; a new one serves after its first passing health probe, \
            a vanished one leaves the rotation). At least one --backend or --discover is required. \
            Serves GET /metrics (Prometheus) and GET /proxy/backends (JSON) itself and forwards everything else. \
            Prints "proxy listening on HOST:PORT, N backends" (plus "discovering NAME:PORT" when discovering) \
            to standard error once it accepts connections.
            """
    )

    @Option(help: "Address to accept clients on, HOST:PORT.")
    var listen = "127.0.0.1:8000"

    @Option(name: .customLong("backend"), help: "A replica, http://HOST:PORT (repeat for each replica).")
    var backends: [String] = []

    @Option(
        name: .customLong("discover"),
        help: "A DNS name whose every address is a replica, HOST:PORT (e.g. a scaled compose service, replica:9000; repeatable)."
    )
    var discover: [String] = []

    @Option(help: "Time between resolutions of the --discover names (e.g. 2s).")
    var discoverInterval = DurationArgument.seconds(2)
    @Option(name: .customLong("discover-interval-ms"), help: .hidden) var discoverIntervalMs: Int?

    @Option(help: "Path probed with GET on every backend; 2xx means healthy.")
    var healthPath = "/v2/health/ready"

    @Option(help: "Time between health probes of a backend (e.g. 500ms).")
    var healthInterval = DurationArgument.milliseconds(500)
    @Option(name: .customLong("health-interval-ms"), help: .hidden) var healthIntervalMs: Int?

    @Option(help: "Consecutive connection failures (refused, reset, timeout) that eject a backend until its probe passes.")
    var ejectAfter = 1

    @Option(help: "Largest request body accepted, in bytes; larger requests get 413.")
    var maxBodyBytes = 1 << 20

    @Option(help: "Requests proxied at once; beyond it clients get 503.")
    var maxInFlight = 1024

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int?

    @Option(help: "Time allowed to connect to a backend (e.g. 1s).")
    var connectTimeout = DurationArgument.seconds(1)
    @Option(name: .customLong("connect-timeout-ms"), help: .hidden) var connectTimeoutMs: Int?

    @Option(help: "Time allowed for one attempt, from sending the request to the end of the response (e.g. 30s).")
    var requestTimeout = DurationArgument.seconds(30)
    @Option(name: .customLong("request-timeout-ms"), help: .hidden) var requestTimeoutMs: Int?

    @Option(help: ArgumentHelp(
        "Most requests pipelined on one backend connection (1: one at a time).",
        discussion: "Above 1, requests arriving together share a connection and one write; a slow response delays those behind it."
    ))
    var pipeline = 1

    @OptionGroup var access: AccessOptions
    @OptionGroup var tls: TLSServerOptions
    @OptionGroup var connectionTimeouts: ConnectionTimeoutOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "trainyard.proxy")
        let server: ProxyServer
        var listening: ListenAddress
        do {
            var settings = try settings()
            try settings.listen.checkAvailable()
            settings.access = try access.control(listeningOn: settings.listen.host)
            settings.timeouts = try connectionTimeouts.timeouts()
            settings.tls = try tls.identity()
            server = try ProxyServer(settings: settings, logger: logger)
            listening = settings.listen
            listening.port = try await server.start().port ?? listening.port
        } catch {
            throw CommandFailure(String(describing: error))
        }
        let address = listening.description
        let count = backends.count
        let discovering = discover.isEmpty ? "" : ", discovering \(discover.joined(separator: ", "))"
        FileHandle.standardError.write(
            Data("proxy listening on \(tls.scheme)://\(address), \(count) backend\(count == 1 ? "" : "s")\(discovering)\n".utf8)
        )
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }

    private func settings() throws(ProxyError) -> ProxySettings {
        var addresses: [BackendAddress] = []
        for url in backends { addresses.append(try BackendAddress(url: url)) }
        var targets: [DiscoveryTarget] = []
        for target in discover { targets.append(try DiscoveryTarget(parsing: target)) }
        var settings = ProxySettings(backends: addresses, discover: targets)
        settings.discoverInterval = discoverInterval.or(milliseconds: discoverIntervalMs)
        guard let address = ListenAddress(parsing: listen) else { throw .invalidListenAddress(listen) }
        settings.listen = address
        settings.healthPath = healthPath
        settings.healthInterval = healthInterval.or(milliseconds: healthIntervalMs)
        settings.ejectAfter = ejectAfter
        settings.maxBodyBytes = maxBodyBytes
        settings.maxInFlight = maxInFlight
        if let threads { settings.threads = threads }
        settings.connectTimeout = connectTimeout.or(milliseconds: connectTimeoutMs)
        settings.requestTimeout = requestTimeout.or(milliseconds: requestTimeoutMs)
        settings.pipelineDepth = pipeline
        return settings
    }
}
