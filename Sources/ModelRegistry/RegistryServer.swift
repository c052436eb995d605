import HTTPSupport
import Hummingbird
import Logging

/// `trainyard registry`: the REST API over a ``RegistryStore`` as a Hummingbird application.
public enum RegistryServer {
    /// Client connection timeouts by default: uploads get five minutes for their body.
    public static let defaultTimeouts = ConnectionTimeouts(body: .seconds(300))

    /// An application serving `store` on `host:port` (over TLS when `tls` is given), holding client connections to
    /// `timeouts` and requests to `access`; `onRunning` gets the bound port.
    public static func application(store: RegistryStore, host: String, port: Int, timeouts: ConnectionTimeouts = defaultTimeouts,
                                   maxArtifactBytes: Int = RegistryRoutes.defaultMaxArtifactBytes, access: AccessControl = .open,
                                   tls: TLSIdentity? = nil, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ErrorBodyMiddleware())
        RegistryRoutes.add(to: router, store: store, maxArtifactBytes: maxArtifactBytes, access: access)
        return Application(router: router, server: .guarded(timeouts, tls: tls), configuration: .init(address: .hostname(host, port: port), serverName: "trainyard-registry"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
