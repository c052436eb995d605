import Logging
import NIOCore
import Synchronization

/// What every event loop shares: settings, backends, metrics and the global in-flight count. Thread-safe.
final class ProxyCore: Sendable {
    let settings: ProxySettings
    /// Empty until ``BackendRoster`` fills it.
    let backends = BackendSet()
    let metrics: ProxyMetrics
    let logger: Logger
    /// Proxied requests from head received to response finished, across all loops (bounded by `maxInFlight`).
    let inFlight = Atomic<Int>(0)
    let connectTimeout: TimeAmount
    let requestTimeout: TimeAmount

    init(settings: ProxySettings, metrics: ProxyMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.connectTimeout = TimeAmount(settings.connectTimeout)
        self.requestTimeout = TimeAmount(settings.requestTimeout)
    }

    /// A new backend with the proxy's settings and metrics (see ``Backend/init(slot:address:healthy:ejectAfter:metrics:logger:)``).
    func makeBackend(_ address: BackendAddress, slot: Int, healthy: Bool) -> Backend {
        Backend(slot: slot, address: address, healthy: healthy, ejectAfter: settings.ejectAfter, metrics: metrics,
                logger: logger)
    }
}
