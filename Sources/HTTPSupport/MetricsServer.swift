import Hummingbird
import Logging
import NIOCore

/// A small HTTP server for a process whose main work is not HTTP (coordinator, worker): `GET
/// /metrics` answers the Prometheus text exposition from `exposition`, `GET /health` 200.
/// Read-only and unauthenticated, as Prometheus scrapes; bind it to loopback or a private network.
public enum MetricsServer {
    public static func application(host: String, port: Int, serverName: String, logger: Logger,
                                   exposition: @escaping @Sendable () -> [UInt8],
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ErrorBodyMiddleware())
        router.get("/health") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: exposition())))
        }
        return Application(router: router, server: .guarded(ConnectionTimeouts(), tls: nil),
                           configuration: .init(address: .hostname(host, port: port), serverName: serverName),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
