import HTTPSupport
import Logging
import NIOCore
import NIOPosix
import Proxy

/// A proxy on an ephemeral 127.0.0.1 port in front of the given backends, stopped (with the backends) when
/// `body` returns or throws.
///
/// Timeouts are generous because the whole test suite runs in parallel on few cores: a probe or connect that
/// misses a tight deadline under load would take a healthy backend out of the rotation. Unless
/// `waitUntilHealthy` is false, `body` starts only once every backend has passed a health probe, so that no test
/// races the first probe.
func withProxy(
    _ backends: [TestBackend],
    waitUntilHealthy: Bool = true,
    resolver: any HostResolver = SystemResolver(),
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    configure: (inout ProxySettings) -> Void = { _ in },
    _ body: (ProxyServer, Int) async throws -> Void
) async throws {
    var settings = ProxySettings(backends: backends.map(\.address))
    settings.listen = ListenAddress(host: "127.0.0.1", port: 0)
    settings.healthInterval = .milliseconds(100)
    settings.healthTimeout = .seconds(5)
    settings.connectTimeout = .seconds(5)
    settings.requestTimeout = .seconds(10)
    settings.shutdownGracePeriod = .seconds(5)
    settings.discoverInterval = .milliseconds(50)
    configure(&settings)
    var logger = Logger(label: "proxy-test")
    logger.logLevel = .critical
    let proxy = try ProxyServer(
        settings: settings, eventLoopGroup: group, resolver: resolver, logger: logger
    )
    let port = try await proxy.start().port!
    do {
        if waitUntilHealthy {
            for backend in backends {
                try await eventually("\(backend.name) passed a health probe") {
                    backend.probes.load(ordering: .relaxed) >= 1 && proxy.status(of: backend)?.healthy == true
                }
            }
        }
        try await body(proxy, port)
    } catch {
        await proxy.stop()
        for backend in backends { await backend.stop() }
        throw error
    }
    await proxy.stop()
    for backend in backends { await backend.stop() }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes (generous: the suite runs under load).
func eventually(
    _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
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

    /// The URLs in the backend set, in round-robin order.
    var backendURLs: [String] { backendStatuses().map(\.url) }
}
