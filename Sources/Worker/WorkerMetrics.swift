import Prometheus
import Synchronization
import TrainyardProtocol

/// A worker's Prometheus metrics (`worker --metrics-listen`, `GET /metrics`):
/// `trainyard_worker_requests_total{type}` (training requests answered, by message type),
/// `trainyard_worker_compute_seconds_total` (time spent computing them),
/// `trainyard_shard_received_bytes_total` (shard bytes that arrived),
/// `trainyard_shard_cache_hits_total` (shards answered from the worker's cache, shipping nothing)
/// and `trainyard_build_info{version}`.
public final class WorkerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let requests = Mutex<[MessageType: Counter]>([:])
    private let compute: Counter
    private let shardBytes: Counter
    private let cacheHits: Counter

    public init(version: String) {
        compute = registry.makeCounter(name: "trainyard_worker_compute_seconds_total", help: "Seconds spent answering training requests.")
        shardBytes = registry.makeCounter(name: "trainyard_shard_received_bytes_total", help: "Bytes of shard data received.")
        cacheHits = registry.makeCounter(name: "trainyard_shard_cache_hits_total",
                                         help: "Shards answered from the worker's cache (SHARD_BEGIN reuse), shipping nothing.")
        registry.makeGauge(name: "trainyard_build_info", labels: [("version", version), ("component", "worker")],
                           help: "Always 1; the software version in a label.").set(to: 1)
    }

    /// A request of `type` answered in `duration`, with `shardBytes` of shard data and `cacheHits` shards reused.
    func answered(_ type: MessageType, duration: Duration, shardBytes bytes: Int, cacheHits hits: Int) {
        let counter = requests.withLock { counters in
            if let counter = counters[type] { return counter }
            let counter = registry.makeCounter(name: "trainyard_worker_requests_total", labels: [("type", type.name)],
                                               help: "Training requests answered, by message type.")
            counters[type] = counter
            return counter
        }
        counter.increment()
        compute.increment(by: duration / .seconds(1))
        if bytes > 0 { shardBytes.increment(by: Int64(bytes)) }
        if hits > 0 { cacheHits.increment(by: Int64(hits)) }
    }

    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
