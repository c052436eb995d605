import ArgumentParser
import HTTPSupport
import Logging
import ServiceLifecycle

/// `--metrics-listen HOST:PORT` of the long-running commands that are not HTTP servers (coordinator, worker).
struct MetricsListenOption: ParsableArguments {
    @Option(help: "Serve Prometheus metrics on HOST:PORT (GET /metrics; unauthenticated: keep it on loopback or a private network).")
    var metricsListen: ListenAddress?

    /// The metrics server for `component`, answering from `exposition`, or `nil` without the option.
    func service(component: String, logger: Logger, exposition: @escaping @Sendable () -> [UInt8]) throws -> (any Service)? {
        guard let address = metricsListen else { return nil }
        try address.checkAvailable()
        return MetricsServer.application(host: address.host, port: address.port, serverName: "trainyard-\(component)", logger: logger,
                                         exposition: exposition) { port in
            printError("\(component) metrics on http://\(address.host):\(port)/metrics")
        }
    }
}
