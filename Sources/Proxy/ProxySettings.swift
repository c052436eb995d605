import HTTPSupport
import NIOCore

/// Everything `trainyard proxy` can be told, with the CLI's defaults.
public struct ProxySettings: Sendable {
    /// Where clients connect. Default `127.0.0.1:8000` (every interface needs tokens or `--insecure` in the CLI).
    public var listen = ListenAddress(host: "127.0.0.1", port: 8000)
    /// Replicas given by address, in round-robin order; always in the set.
    public var backends: [BackendAddress]
    /// Names whose every address is a replica (`--discover`), resolved at start and every ``discoverInterval``;
    /// their backends follow the `backends` in the rotation.
    public var discover: [DiscoveryTarget] = []
    /// Time between the end of one resolution of the ``discover`` names and the start of the next.
    public var discoverInterval: Duration = .seconds(2)
    /// Path probed with `GET` on every backend; a 2xx answer means healthy.
    public var healthPath = "/v2/health/ready"
    /// Time between the end of one health probe of a backend and the start of the next.
    public var healthInterval: Duration = .milliseconds(500)
    /// A probe not answered within this time counts as failed.
    public var healthTimeout: Duration = .seconds(1)
    /// Consecutive connection-level failures (refused, reset, closed early, timed out) that eject a backend
    /// from the rotation until its health probe passes again.
    public var ejectAfter = 1
    /// Largest request body forwarded; larger ones get 413.
    public var maxBodyBytes = 1 << 20
    /// Requests proxied at once across all connections; beyond it clients get 503.
    public var maxInFlight = 1024
    /// Event loop threads (one per core by default). Ignored when the server is given an event loop group.
    public var threads = System.coreCount
    /// Time allowed to open a TCP connection to a backend.
    public var connectTimeout: Duration = .seconds(1)
    /// Time allowed for one attempt, from picking a backend to the end of its response.
    public var requestTimeout: Duration = .seconds(30)
    /// Idle keep-alive connections kept per backend on each event loop.
    public var maxIdleConnectionsPerBackend = 256
    /// Most requests sent on one backend connection before their responses come back (HTTP/1.1 pipelining).
    /// 1, the default, sends one request at a time. Above 1, requests that arrive in the same event-loop tick
    /// share a connection and leave in one write, which saves system calls in the proxy and the backend under
    /// load, at the cost of head-of-line blocking: a slow response delays the ones pipelined behind it. The
    /// backend must answer pipelined requests in order (Hummingbird and NIO servers do). Requests with bodies over
    /// 16 KiB (batches) are never pipelined, nor is anything behind them. When a connection fails, the requests
    /// awaiting answers on it are sent again, as predictions are idempotent (docs/ARCHITECTURE.md gives the rules).
    public var pipelineDepth = 1
    /// Who may read `GET /proxy/backends` (`reader` when tokens are configured); forwarded requests and `/metrics` are open.
    public var access = AccessControl.open
    /// Header, body and idle timeouts of client connections (defaults 10 s, 30 s, 60 s). A request is in flight
    /// (counted against ``maxInFlight``) only once it has fully arrived.
    public var timeouts = ConnectionTimeouts()
    /// When set, clients connect with TLS (HTTPS) and this certificate; backends are still reached over plain HTTP
    /// (TLS ends at the proxy — keep replicas on a private network, see docs/ARCHITECTURE.md).
    public var tls: TLSIdentity?
    /// On shutdown, time given to requests in progress before their connections are closed.
    public var shutdownGracePeriod: Duration = .seconds(10)

    /// Settings with the defaults above, the given backends and discovery targets.
    public init(backends: [BackendAddress], discover: [DiscoveryTarget] = []) {
        self.backends = backends
        self.discover = discover
    }

    /// Checks ranges before anything is bound.
    /// - Throws: ``ProxyError/noBackends`` or ``ProxyError/invalidSetting(name:value:reason:)``.
    public func validate() throws(ProxyError) {
        if backends.isEmpty && discover.isEmpty { throw .noBackends }
        guard healthPath.hasPrefix("/") else {
            throw .invalidSetting(name: "health path", value: healthPath, reason: "must start with /")
        }
        try Self.positive("health interval", healthInterval)
        try Self.positive("health timeout", healthTimeout)
        try Self.positive("discover interval", discoverInterval)
        try Self.positive("connect timeout", connectTimeout)
        try Self.positive("request timeout", requestTimeout)
        try Self.atLeast("eject-after", ejectAfter, 1)
        try Self.atLeast("max body bytes", maxBodyBytes, 0)
        try Self.atLeast("max in-flight", maxInFlight, 1)
        try Self.atLeast("threads", threads, 1)
        try Self.atLeast("max idle connections per backend", maxIdleConnectionsPerBackend, 0)
        try Self.atLeast("pipeline depth", pipelineDepth, 1)
        if let name = timeouts.nonPositive { throw .invalidSetting(name: name, value: "\(timeouts)", reason: "must be positive") }
    }

    private static func positive(_ name: String, _ value: Duration) throws(ProxyError) {
        if value <= .zero { throw .invalidSetting(name: name, value: "\(value)", reason: "must be positive") }
    }

    private static func atLeast(_ name: String, _ value: Int, _ minimum: Int) throws(ProxyError) {
        if value < minimum { throw .invalidSetting(name: name, value: "\(value)", reason: "must be at least \(minimum)") }
    }
}
