import NIOCore
import Prometheus

/// The proxy's Prometheus metrics, all created up front so that recording a request costs a few atomic
/// increments and one histogram update, with no string building or registry look-up.
final class ProxyMetrics: Sendable {
    /// The registry rendered by `GET /metrics`.
    let registry: PrometheusCollectorRegistry
    /// Counter per status code 0..<600: common codes have their own `code` label, the rest share `2xx`, `4xx`, ….
    private let byStatus: [Counter]
    /// Attempts repeated on another backend after a connection failure, timeout or 503.
    let retries: Counter
    /// Requests being proxied; set from the in-flight atomic just before each scrape.
    let inFlight: Gauge
    /// Time from a request's head to the end of its response.
    let latency: DurationHistogram

    private static let namedCodes = [200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429,
                                     500, 501, 502, 503, 504]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        let requests = Self.name("requests", unit: "total", help: "Responses sent to clients, by HTTP status code.")
        var classes: [Counter] = []
        for leading in 1...5 {
            classes.append(registry.makeCounter(descriptor: requests, labels: [("code", "\(leading)xx")]))
        }
        var table = [Counter](repeating: classes[4], count: 600)
        for code in 100..<600 { table[code] = classes[code / 100 - 1] }
        for code in Self.namedCodes {
            table[code] = registry.makeCounter(descriptor: requests, labels: [("code", "\(code)")])
        }
        byStatus = table
        retries = registry.makeCounter(descriptor: Self.name(
            "retries", unit: "total",
            help: "Requests retried once on another backend after a connection failure, timeout or 503."
        ))
        inFlight = registry.makeGauge(descriptor: Self.name("in_flight", unit: "", help: "Requests being proxied now."))
        latency = registry.makeDurationHistogram(
            descriptor: Self.name(
                "request_duration", unit: "seconds",
                help: "Time from a request's head to the end of the proxy's response."
            ),
            buckets: [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
        )
    }

    /// Counts one response and its latency. Safe from any thread.
    @inline(__always)
    func recordResponse(status: Int, since start: NIODeadline) {
        byStatus[status >= 0 && status < 600 ? status : 599].increment()
        latency.record(.nanoseconds((NIODeadline.now() - start).nanoseconds))
    }

    /// The health gauge of one backend (1 in the rotation, 0 ejected or failing its probe).
    func healthGauge(for backend: BackendAddress) -> Gauge {
        registry.makeGauge(
            descriptor: Self.name(
                "backend_healthy", unit: "",
                help: "1 while the backend is in the rotation, 0 while it is ejected or failing its health probe."
            ),
            labels: [("backend", backend.description)]
        )
    }

    /// Passive ejections of one backend (connection failures reaching `--eject-after`).
    func ejections(for backend: BackendAddress) -> Counter {
        registry.makeCounter(
            descriptor: Self.name(
                "ejections", unit: "total",
                help: "Times the backend was taken out of the rotation after connection failures."
            ),
            labels: [("backend", backend.description)]
        )
    }

    /// Drops a retired backend's series, so that `/metrics` lists only the backends in the set.
    func remove(healthGauge: Gauge, ejections: Counter) {
        registry.unregisterGauge(healthGauge)
        registry.unregisterCounter(ejections)
    }

    /// `trainyard_proxy_<name>_<unit>`.
    private static func name(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "trainyard", subsystem: "proxy", metricName: name, unitName: unit, helpText: help)
    }

    /// Prometheus text exposition of every metric, with the in-flight gauge brought up to date.
    func render(inFlightNow: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        inFlight.set(to: Double(inFlightNow))
        let bytes = registry.emitToBuffer()
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }
}
