/// Why the proxy could not be configured or started. Every message names the offending value and what to do.
public enum ProxyError: Error, Equatable, CustomStringConvertible {
    /// A `--backend` value is not an `http://HOST:PORT` URL.
    case invalidBackendURL(String, reason: String)
    /// A `--listen` value is not `HOST:PORT`.
    case invalidListenAddress(String)
    /// A `--discover` value is not `HOST:PORT`.
    case invalidDiscoveryTarget(String)
    /// Neither a backend nor a discovery target was given.
    case noBackends
    /// A host name did not resolve (unknown name, DNS server unreachable or timing out).
    case resolutionFailed(host: String, reason: String)
    /// A numeric or path setting is out of range.
    case invalidSetting(name: String, value: String, reason: String)
    /// The listening socket could not be bound (port in use, no permission, unknown host).
    case bindFailed(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .invalidBackendURL(let url, let reason):
            "invalid backend URL '\(url)': \(reason) (expected http://HOST:PORT)"
        case .invalidListenAddress(let value):
            "invalid listen address '\(value)' (expected HOST:PORT, e.g. 0.0.0.0:8000 or [::1]:8000)"
        case .invalidDiscoveryTarget(let value):
            "invalid discovery target '\(value)' (expected HOST:PORT, e.g. replica:9000)"
        case .noBackends:
            "no backend given: pass at least one --backend http://HOST:PORT or --discover HOST:PORT"
        case .resolutionFailed(let host, let reason):
            "cannot resolve '\(host)': \(reason) (check the name and the DNS server; the last known backends are kept)"
        case .invalidSetting(let name, let value, let reason):
            "invalid \(name) '\(value)': \(reason)"
        case .bindFailed(let host, let port, let reason):
            "cannot listen on \(host):\(port): \(reason) (is another process using the port?)"
        }
    }
}
