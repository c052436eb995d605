import DistributedTraining
import Prometheus
import Synchronization
import TrainyardProtocol
import Tuning

/// The coordinator's Prometheus metrics (`coordinator --metrics-listen`, `GET /metrics`), in the
/// house's naming scheme (`trainyard_` prefix, base units, `_total` counters):
/// `trainyard_workers{state}` (alive, dead, left), `trainyard_jobs{state}` (top-level jobs and
/// studies), `trainyard_trials{state}`, `trainyard_rounds_total` (boosting rounds completed by
/// distributed jobs), `trainyard_worker_sent_bytes_total` and `trainyard_worker_received_bytes_total`
/// (requests and shard data to workers, their replies) and `trainyard_build_info{version}`.
///
/// Worker counts follow membership at each tick after it changed (`--heartbeat-interval`'s tick,
/// 100 ms by default); the rest is read from the job store and the link when scraped.
public final class CoordinatorMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let workers: [WorkerStatus.State: Gauge]
    private let jobs: [JobState: Gauge]
    private let trials: [TrialState: Gauge]
    private let rounds: Counter
    private let sent: Counter
    private let received: Counter
    private struct Sources: Sendable {
        var store: JobStore?
        var link: ClusterLink?
        /// What the counters were last advanced to.
        var rounds = 0
        var sent = 0
        var received = 0
    }
    private let sources = Mutex(Sources())

    public init(version: String) {
        let registry = self.registry
        workers = Dictionary(uniqueKeysWithValues: [WorkerStatus.State.alive, .dead, .left].map { state in
            (state, registry.makeGauge(name: "trainyard_workers", labels: [("state", state.rawValue)], help: "Registered workers by state."))
        })
        jobs = Dictionary(uniqueKeysWithValues: JobState.allCases.map { state in
            (state, registry.makeGauge(name: "trainyard_jobs", labels: [("state", state.rawValue)], help: "Jobs and studies by state."))
        })
        trials = Dictionary(uniqueKeysWithValues: [TrialState.running, .complete, .pruned, .failed].map { state in
            (state, registry.makeGauge(name: "trainyard_trials", labels: [("state", state.rawValue)], help: "Tuning trials by state."))
        })
        rounds = registry.makeCounter(name: "trainyard_rounds_total", help: "Boosting rounds completed by distributed jobs and trials.")
        sent = registry.makeCounter(name: "trainyard_worker_sent_bytes_total", help: "Bytes of requests and shard data sent to workers.")
        received = registry.makeCounter(name: "trainyard_worker_received_bytes_total", help: "Bytes of worker replies received.")
        registry.makeGauge(name: "trainyard_build_info", labels: [("version", version), ("component", "coordinator")],
                           help: "Always 1; the software version in a label.").set(to: 1)
    }

    /// Where the job counts and traffic come from (set once the service has opened them).
    func attach(store: JobStore, link: ClusterLink) {
        sources.withLock { $0.store = store; $0.link = link }
    }

    /// Membership changed: workers by state.
    func workersChanged(_ counts: [WorkerStatus.State: Int]) {
        for (state, gauge) in workers { gauge.set(to: Double(counts[state] ?? 0)) }
    }

    /// The Prometheus text exposition, job and traffic figures read now.
    public func exposition() -> [UInt8] {
        sources.withLock { sources in
            if let store = sources.store, let counts = try? store.counts() {
                for (state, gauge) in jobs { gauge.set(to: Double(counts.jobs[state] ?? 0)) }
                for (state, gauge) in trials { gauge.set(to: Double(counts.trials[state] ?? 0)) }
                if counts.rounds > sources.rounds { rounds.increment(by: Int64(counts.rounds - sources.rounds)) }
                sources.rounds = max(sources.rounds, counts.rounds)
            }
            if let traffic = sources.link?.traffic {
                if traffic.sent > sources.sent { sent.increment(by: Int64(traffic.sent - sources.sent)) }
                if traffic.received > sources.received { received.increment(by: Int64(traffic.received - sources.received)) }
                sources.sent = max(sources.sent, traffic.sent)
                sources.received = max(sources.received, traffic.received)
            }
        }
        return registry.emitToBuffer()
    }
}
