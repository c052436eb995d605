/// The outcome of one run: counts, throughput and latency percentiles.
///
/// Encoded as JSON by `trainyard loadtest --json` with these property names as keys.
public struct LoadTestReport: Sendable, Codable, Equatable {
    /// The target URL.
    public var url: String
    /// Connections the run opened (at most; some may have failed).
    public var concurrency: Int
    /// Event-loop threads used.
    public var threads: Int
    /// Requests written to a connection.
    public var requests: Int
    /// Complete responses received, whatever their status.
    public var responses: Int
    /// Requests sent but neither answered nor failed when the run stopped at its deadline.
    public var unfinished: Int
    /// Wall time from the start of the run to its end, in seconds.
    public var durationSeconds: Double
    /// Responses per second over ``durationSeconds``.
    public var throughput: Double
    /// Open-loop target rate in requests per second; `nil` for a closed-loop run.
    public var targetRate: Double?
    /// Latency percentiles in milliseconds. Open loop: measured from each request's intended send time.
    public var latency: LatencySummary
    /// Responses by HTTP status code (`"200"`, `"500"`, …).
    public var statusCounts: [String: Int]
    /// Failed connection attempts and requests by ``LoadErrorKind`` raw value; kinds that did not occur are absent.
    public var errors: [String: Int]
    /// The counted response header's name, if the plan named one.
    public var countHeader: String?
    /// How many responses carried each value of ``countHeader`` (`"(none)"` for responses without it).
    public var headerCounts: [String: Int]

    public init(
        url: String, concurrency: Int, threads: Int, requests: Int, responses: Int, unfinished: Int,
        durationSeconds: Double, targetRate: Double?, latency: LatencySummary, statusCounts: [String: Int],
        errors: [String: Int], countHeader: String?, headerCounts: [String: Int]
    ) {
        self.url = url
        self.concurrency = concurrency
        self.threads = threads
        self.requests = requests
        self.responses = responses
        self.unfinished = unfinished
        self.durationSeconds = durationSeconds
        self.throughput = durationSeconds > 0 ? Double(responses) / durationSeconds : 0
        self.targetRate = targetRate
        self.latency = latency
        self.statusCounts = statusCounts
        self.errors = errors
        self.countHeader = countHeader
        self.headerCounts = headerCounts
    }

    /// All errors of every kind.
    public var totalErrors: Int { errors.values.reduce(0, +) }

    init(plan: LoadTestPlan, threads: Int, tally: LoadTally, durationSeconds: Double) {
        self.init(
            url: plan.url, concurrency: plan.concurrency, threads: threads, requests: tally.sent,
            responses: tally.responses, unfinished: tally.unfinished, durationSeconds: durationSeconds,
            targetRate: plan.rate, latency: LatencySummary(microseconds: tally.latencies),
            statusCounts: tally.statusCounts, errors: tally.errorCounts, countHeader: plan.countHeader,
            headerCounts: tally.headerValues
        )
    }
}
