/// Why a load test could not start. Failures of individual requests are not errors: they are counted
/// in ``LoadTestReport/errors``.
public enum LoadTestError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The URL could not be parsed; `reason` says which part is wrong.
    case invalidURL(String, reason: String)
    /// Only `http://` and `https://` targets are supported.
    case unsupportedScheme(String)
    /// The plan's TLS configuration could not make a context (an unusable CA file, for instance).
    case tlsSetup(String)
    /// The URL's host name did not resolve to an address.
    case unresolvableHost(String)
    /// The method is empty or contains characters not allowed in an HTTP token.
    case invalidMethod(String)
    /// A header name is not an HTTP token, or its value contains a line break.
    case invalidHeader(name: String, value: String)
    /// Concurrency must be between 1 and the maximum.
    case concurrencyOutOfRange(Int, maximum: Int)
    /// Duration must be more than zero and at most the maximum.
    case durationOutOfRange(Duration, maximum: Duration)
    /// The open-loop rate must be more than zero and at most the maximum.
    case rateOutOfRange(Double, maximum: Double)
    /// The request limit must be between 1 and the maximum.
    case maxRequestsOutOfRange(Int, maximum: Int)
    /// The request timeout must be more than zero and at most an hour.
    case timeoutOutOfRange(Duration)
    /// Threads must be between 1 and the maximum.
    case threadsOutOfRange(Int, maximum: Int)
    /// The event loops failed in a way the plan could not cause (a bug or resource exhaustion).
    case eventLoopFailure(String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid URL '\(url)': \(reason); expected http[s]://host[:port][/path]"
        case .unsupportedScheme(let scheme):
            return "unsupported URL scheme '\(scheme)': only http:// and https:// targets can be loaded"
        case .tlsSetup(let reason):
            return "cannot set up TLS for the https:// target: \(reason)"
        case .unresolvableHost(let host):
            return "cannot resolve host '\(host)': check the name or use an IP address"
        case .invalidMethod(let method):
            return "invalid HTTP method '\(method)': use a token such as GET, POST or PUT"
        case .invalidHeader(let name, let value):
            return "invalid header '\(name): \(value)': the name must be an HTTP token and the value must not contain line breaks"
        case .concurrencyOutOfRange(let value, let maximum):
            return "concurrency \(value) is out of range: use 1 to \(maximum) connections"
        case .durationOutOfRange(let value, let maximum):
            return "duration \(value) is out of range: use more than 0 s and at most \(Int(maximum / .seconds(1))) s"
        case .rateOutOfRange(let value, let maximum):
            return "rate \(value) is out of range: use more than 0 and at most \(Int(maximum)) requests/s"
        case .maxRequestsOutOfRange(let value, let maximum):
            return "request limit \(value) is out of range: use 1 to \(maximum)"
        case .timeoutOutOfRange(let value):
            return "timeout \(value) is out of range: use more than 0 s and at most 3600 s"
        case .threadsOutOfRange(let value, let maximum):
            return "threads \(value) is out of range: use 1 to \(maximum)"
        case .eventLoopFailure(let message):
            return "load generator failed: \(message)"
        }
    }
}
