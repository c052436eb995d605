import Logging
import NIOCore
import Prometheus
import Synchronization

/// One replica behind the proxy and what every event loop knows about it: whether it is in the rotation,
/// and counters for `/proxy/backends`. Thread-safe; every field is atomic or immutable.
///
/// A backend is one object for as long as it is in the ``BackendSet``; when discovery drops its address it is
/// ``retire()``d and a later reappearance of the address makes a new one.
final class Backend: Sendable {
    /// Index of this backend's pool in each loop's pool array (see ``LoopContext/pool(for:)``). Unique among the
    /// backends in the set at one time; a retired backend's slot is given to a later one.
    let slot: Int
    let address: BackendAddress
    /// An IP address is used as is; a name is resolved once when the backend is made (blocking), so that connects
    /// skip DNS; nil when the name did not resolve then (connects resolve it each time instead).
    let socketAddress: SocketAddress?
    let ejectAfter: Int

    private let healthy: Atomic<Bool>
    private let removed = Atomic<Bool>(false)
    private let consecutiveFailures = Atomic<Int>(0)
    /// Attempts sent to this backend and not yet finished.
    let inFlight = Atomic<Int>(0)
    /// Attempts started on this backend.
    let requests = Atomic<Int>(0)
    /// Connection-level failures (refused, reset, closed before the response ended, timed out).
    let failures = Atomic<Int>(0)

    private let healthGauge: Gauge
    private let ejectionCounter: Counter
    private let metrics: ProxyMetrics
    private let logger: Logger

    /// - Parameter healthy: whether it is in the rotation before its first probe: `--backend`s are (as they were
    ///   configured by hand), discovered ones are not (a container is in DNS before its model is loaded).
    init(slot: Int, address: BackendAddress, healthy: Bool, ejectAfter: Int, metrics: ProxyMetrics, logger: Logger) {
        self.slot = slot
        self.address = address
        self.ejectAfter = ejectAfter
        self.socketAddress = (try? SocketAddress(ipAddress: address.host, port: address.port))
            ?? (try? SocketAddress.makeAddressResolvingHost(address.host, port: address.port))
        self.healthy = Atomic(healthy)
        self.healthGauge = metrics.healthGauge(for: address)
        self.ejectionCounter = metrics.ejections(for: address)
        self.metrics = metrics
        self.logger = logger
        healthGauge.set(to: healthy ? 1 : 0)
    }

    /// Whether round robin may pick this backend.
    var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    /// Whether discovery has dropped this backend (see ``retire()``).
    var isRetired: Bool { removed.load(ordering: .relaxed) }

    /// Its address no longer resolves: it leaves the rotation for good and its metrics leave `/metrics`.
    /// Requests already sent to it finish; its pools are closed by their loops. Idempotent.
    func retire() {
        guard !removed.exchange(true, ordering: .relaxed) else { return }
        healthy.store(false, ordering: .relaxed)
        metrics.remove(healthGauge: healthGauge, ejections: ejectionCounter)
    }

    /// A full response came back: the consecutive-failure streak ends.
    @inline(__always)
    func recordSuccess() {
        if consecutiveFailures.load(ordering: .relaxed) != 0 { consecutiveFailures.store(0, ordering: .relaxed) }
    }

    /// A connection-level failure; ejects the backend once `ejectAfter` happen in a row.
    func recordFailure(_ reason: String) {
        failures.add(1, ordering: .relaxed)
        let streak = consecutiveFailures.add(1, ordering: .relaxed).newValue
        guard streak >= ejectAfter, !isRetired, healthy.exchange(false, ordering: .relaxed) else { return }
        ejectionCounter.increment()
        healthGauge.set(to: 0)
        logger.warning("backend ejected", metadata: ["backend": "\(address)", "reason": "\(reason)", "failures": "\(streak)"])
    }

    /// The health probe answered 2xx: the backend (re)joins the rotation.
    func probePassed() {
        consecutiveFailures.store(0, ordering: .relaxed)
        guard !isRetired, !healthy.exchange(true, ordering: .relaxed) else { return }
        healthGauge.set(to: 1)
        logger.notice("backend healthy", metadata: ["backend": "\(address)"])
    }

    /// The health probe failed: the backend leaves the rotation until a probe passes.
    func probeFailed(_ reason: String) {
        guard !isRetired, healthy.exchange(false, ordering: .relaxed) else { return }
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
