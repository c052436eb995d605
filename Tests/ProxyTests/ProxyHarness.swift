import Logging
import NIOPosix
import Proxy

/// A proxy on an ephemeral 127.0.0.1 port in front of the given backends, stopped (with the backends) when
/// `body` returns or throws.
func withProxy(
    _ backends: [TestBackend],
    configure: (inout ProxySettings) -> Void = { _ in },
    _ body: (ProxyServer, Int) async throws -> Void
) async throws {
    var settings = ProxySettings(backends: backends.map(\.address))
    settings.listen = ListenAddress(host: "127.0.0.1", port: 0)
    settings.healthInterval = .milliseconds(50)
    settings.healthTimeout = .milliseconds(500)
    settings.connectTimeout = .milliseconds(500)
    settings.requestTimeout = .seconds(5)
    settings.shutdownGracePeriod = .seconds(1)
    configure(&settings)
    var logger = Logger(label: "proxy-test")
    logger.logLevel = .critical
    let proxy = try ProxyServer(settings: settings, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    let port = try await proxy.start().port!
    do {
        try await body(proxy, port)
    } catch {
        await proxy.stop()
        for backend in backends { await backend.stop() }
        throw error
    }
    await proxy.stop()
    for backend in backends { await backend.stop() }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(
    _ what: String, timeout: Duration = .seconds(5), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("timed out waiting until \(what)")
}

extension ProxyServer {
    func status(of backend: TestBackend) -> BackendStatus? {
        backendStatuses().first { $0.url == backend.address.description }
    }
}
