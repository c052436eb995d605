import ArgumentParser
import Foundation
import HTTPSupport
import Hummingbird
import ModelRegistry

/// `trainyard registry`: serve a model registry directory over HTTP.
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Run the model registry: versions, approval, aliases and artifacts over a REST API (docs/openapi/registry.yaml)."
    )

    @Option(help: "Directory of the registry (registry.sqlite and blobs/).") var dataDir = "trainyard-registry"
    @Option(help: "Address to listen on: HOST:PORT, or :PORT for every interface (which needs --tokens or --insecure).")
    var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    @Option(help: "Largest artifact accepted, in bytes; larger uploads get 413 and are not stored.")
    var maxArtifactBytes = RegistryRoutes.defaultMaxArtifactBytes
    @OptionGroup var access: AccessOptions
    @OptionGroup var tls: TLSServerOptions
    @OptionGroup var connectionTimeouts: ConnectionTimeoutOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard maxArtifactBytes > 0 else { throw ValidationError("--max-artifact-bytes must be positive") }
    }

    func run() async throws {
        try listen.checkAvailable()
        let logger = logging.bootstrap(label: "trainyard.registry")
        let timeouts = try connectionTimeouts.timeouts(defaults: RegistryServer.defaultTimeouts)
        let control = try access.control(listeningOn: listen.host)
        let identity = try tls.identity()
        let store: RegistryStore
        do { store = try RegistryStore(directory: dataDir) } catch { throw CommandFailure(error.description) }
        let app = RegistryServer.application(store: store, host: listen.host, port: listen.port, timeouts: timeouts,
                                             maxArtifactBytes: maxArtifactBytes, access: control, tls: identity,
                                             logger: logger) { [scheme = tls.scheme] port in
            printError("registry listening on \(scheme)://\(listen.host):\(port), data in \(dataDir)")
        }
        try await app.runService()
    }
}
