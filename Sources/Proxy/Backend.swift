import Logging
import NIOCore
import Prometheus
import Synchronization

/// One replica behind the proxy and what every event loop knows about it: whether it is in the rotation,
/// and counters for `/proxy/backends`. Thread-safe; every field is atomic or immutable.
final class Backend: Sendable {
    /// Position in ``BackendSet/backends`` and in each loop's pool array.
    let index: Int
    let address: BackendAddress
    /// Resolved once at start-up so that connects skip DNS; nil when the name did not resolve then
    /// (connects resolve it each time instead).
    let socketAddress: SocketAddress?
    let ejectAfter: Int

    private let healthy = Atomic<Bool>(true)
    private let consecutiveFailures = Atomic<Int>(0)
    /// Attempts sent to this backend and not yet finished.
    let inFlight = Atomic<Int>(0)
    /// Attempts started on this backend.
    let requests = Atomic<Int>(0)
    /// Connection-level failures (refused, reset, closed before the response ended, timed out).
    let failures = Atomic<Int>(0)

    private let healthGauge: Gauge
    private let ejectionCounter: Counter
    private let logger: Logger

    init(index: Int, address: BackendAddress, ejectAfter: Int, metrics: ProxyMetrics, logger: Logger) {
        self.index = index
        self.address = address
        self.ejectAfter = ejectAfter
        self.socketAddress = try? SocketAddress.makeAddressResolvingHost(address.host, port: address.port)
        self.healthGauge = metrics.healthGauge(for: address)
        self.ejectionCounter = metrics.ejections(for: address)
        self.logger = logger
        healthGauge.set(to: 1)
    }

    /// Whether round robin may pick this backend.
    var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    /// A full response came back: the consecutive-failure streak ends.
    @inline(__always)
    func recordSuccess() {
        if consecutiveFailures.load(ordering: .relaxed) != 0 { consecutiveFailures.store(0, ordering: .relaxed) }
    }

    /// A connection-level failure; ejects the backend once `ejectAfter` happen in a row.
    func recordFailure(_ reason: String) {
        failures.add(1, ordering: .relaxed)
        let streak = consecutiveFailures.add(1, ordering: .relaxed).newValue
        guard streak >= ejectAfter, healthy.exchange(false, ordering: .relaxed) else { return }
        ejectionCounter.increment()
        healthGauge.set(to: 0)
        logger.warning("backend ejected", metadata: ["backend": "\(address)", "reason": "\(reason)", "failures": "\(streak)"])
    }

    /// The health probe answered 2xx: the backend (re)joins the rotation.
    func probePassed() {
        consecutiveFailures.store(0, ordering: .relaxed)
        guard !healthy.exchange(true, ordering: .relaxed) else { return }
        healthGauge.set(to: 1)
        logger.notice("backend healthy", metadata: ["backend": "\(address)"])
    }

    /// The health probe failed: the backend leaves the rotation until a probe passes.
    func probeFailed(_ reason: String) {
        guard healthy.exchange(false, ordering: .relaxed) else { return }
        healthGauge.set(to: 0)
        logger.warning("backend unhealthy", metadata: ["backend": "\(address)", "reason": "\(reason)"])
    }

    /// A point-in-time copy for `/proxy/backends`.
    var status: BackendStatus {
        BackendStatus(
            url: address.description,
            healthy: isHealthy,
            inFlight: inFlight.load(ordering: .relaxed),
            requests: requests.load(ordering: .relaxed),
            failures: failures.load(ordering: .relaxed)
        )
    }
}
