import Logging
import NIOCore
import Synchronization

/// What every event loop shares: settings, backends, metrics and the global in-flight count. Thread-safe.
final class ProxyCore: Sendable {
    let settings: ProxySettings
    let backends: BackendSet
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
        self.backends = BackendSet(
            settings.backends.enumerated().map { index, address in
                Backend(index: index, address: address, ejectAfter: settings.ejectAfter, metrics: metrics, logger: logger)
            }
        )
    }
}
