import Hummingbird
import Logging

/// `trainyard registry`: the REST API over a ``RegistryStore`` as a Hummingbird application.
public enum RegistryServer {
    /// An application serving `store` on `host:port`; `onRunning` gets the bound port.
    public static func application(store: RegistryStore, host: String, port: Int, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let router = Router()
        RegistryRoutes.add(to: router, store: store)
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "trainyard-registry"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
