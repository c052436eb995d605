import NIOCore
import NIOPosix
import NIOSSL

/// What to load and how hard: one target URL, one prebuilt request, a connection count and bounds.
///
/// A plan is always bounded by ``duration`` (at most ``maximumDuration``); ``maxRequests`` can end
/// it sooner. Without ``rate`` the run is closed loop: each connection sends its next request as soon
/// as the previous response arrived. With ``rate`` it is open loop: requests are due at a constant
/// rate whether or not earlier ones were answered, and latency counts from the time a request was due
/// (see ``LoadTest``).
public struct LoadTestPlan: Sendable {
    /// The longest run a plan may ask for.
    public static let maximumDuration: Duration = .seconds(3600)
    /// The most connections a plan may open.
    public static let maximumConcurrency = 10_000
    /// The most event-loop threads a plan may use.
    public static let maximumThreads = 256
    /// The highest request limit a plan may set.
    public static let maximumRequests = 1 << 40
    /// The highest open-loop rate a plan may ask for, in requests per second.
    public static let maximumRate = 10_000_000.0

    /// The target, `http[s]://host[:port][/path][?query]`.
    public var url: String
    /// What an `https://` target's certificate is checked against; `nil`: the system's trust store. The certificate
    /// must name the URL's host. Connections are kept alive, so a handshake is paid once per connection.
    public var tlsConfiguration: TLSConfiguration?
    /// The request method; `POST` when a body is given, `GET` otherwise, unless set explicitly.
    public var method: String
    /// Extra request headers, sent in this order. `Content-Length` is always computed from ``body``.
    public var headers: [(name: String, value: String)]
    /// The request body, sent unchanged with every request.
    public var body: [UInt8]
    /// How many keep-alive connections to open (1 … ``maximumConcurrency``).
    public var concurrency: Int
    /// How long to send requests (more than zero, at most ``maximumDuration``).
    public var duration: Duration
    /// Open-loop rate in requests per second across all connections; `nil` for closed loop.
    public var rate: Double?
    /// Stop after this many requests have been sent and answered (or failed); `nil` for no limit.
    public var maxRequests: Int?
    /// How long a request may wait for its response, and a connection attempt for its handshake.
    public var timeout: Duration
    /// Event-loop threads; connections are spread over them round-robin. `nil`: one per core, at most one per connection.
    public var threads: Int?
    /// A response header whose values are counted (for example `X-Model-Version`); `nil` to count none.
    public var countHeader: String?

    /// A plan with the documented defaults: 10 connections for 10 s, closed loop, 5 s timeout.
    public init(
        url: String,
        method: String? = nil,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        concurrency: Int = 10,
        duration: Duration = .seconds(10),
        rate: Double? = nil,
        maxRequests: Int? = nil,
        timeout: Duration = .seconds(5),
        threads: Int? = nil,
        countHeader: String? = nil,
        tlsConfiguration: TLSConfiguration? = nil
    ) {
        self.url = url
        self.tlsConfiguration = tlsConfiguration
        self.method = method ?? (body.isEmpty ? "GET" : "POST")
        self.headers = headers
        self.body = body
        self.concurrency = concurrency
        self.duration = duration
        self.rate = rate
        self.maxRequests = maxRequests
        self.timeout = timeout
        self.threads = threads
        self.countHeader = countHeader
    }

    /// The number of event-loop threads the run will use.
    public var effectiveThreads: Int {
        max(1, min(threads ?? System.coreCount, concurrency))
    }

    /// Checks the URL's form and every bound; the first one broken is the error. (Whether the
    /// host resolves is only known when the run starts.)
    public func validate() throws(LoadTestError) {
        _ = try RequestTarget.parse(url)
        guard (1...Self.maximumConcurrency).contains(concurrency) else {
            throw .concurrencyOutOfRange(concurrency, maximum: Self.maximumConcurrency)
        }
        guard duration > .zero, duration <= Self.maximumDuration else {
            throw .durationOutOfRange(duration, maximum: Self.maximumDuration)
        }
        if let rate, !(rate > 0 && rate <= Self.maximumRate) {
            throw .rateOutOfRange(rate, maximum: Self.maximumRate)
        }
        if let maxRequests, !(1...Self.maximumRequests).contains(maxRequests) {
            throw .maxRequestsOutOfRange(maxRequests, maximum: Self.maximumRequests)
        }
        guard timeout > .zero, timeout <= Self.maximumDuration else { throw .timeoutOutOfRange(timeout) }
        if let threads, !(1...Self.maximumThreads).contains(threads) {
            throw .threadsOutOfRange(threads, maximum: Self.maximumThreads)
        }
        guard !method.isEmpty, method.utf8.allSatisfy(\.isHTTPTokenByte) else { throw .invalidMethod(method) }
        for header in headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(\.isHTTPTokenByte),
                  !header.value.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") })
            else { throw .invalidHeader(name: header.name, value: header.value) }
        }
    }

    /// Parses a duration argument: `10` (seconds), `2.5s`, `500ms`, `2m` or `1h`; `nil` if malformed.
    public static func parseDuration(_ text: String) -> Duration? {
        let trimmed = text.lowercased()
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(trimmed)
        var scale = 1.0
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            number = trimmed.dropLast(unit.suffix.count)
            scale = unit.seconds
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let nanoseconds = value * scale * 1e9
        guard nanoseconds < Double(Int64.max) else { return nil }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }
}

extension UInt8 {
    /// Whether the byte may appear in an HTTP token (RFC 9110 `tchar`): method and header names.
    var isHTTPTokenByte: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(self)
        }
    }
}

