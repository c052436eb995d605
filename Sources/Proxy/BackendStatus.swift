/// One backend as reported by `GET /proxy/backends` and ``ProxyServer/backendStatuses()``.
public struct BackendStatus: Sendable, Codable, Equatable {
    /// `http://host:port`.
    public var url: String
    /// Whether the backend is in the rotation.
    public var healthy: Bool
    /// Attempts sent to it and not finished.
    public var inFlight: Int
    /// Attempts sent to it since start.
    public var requests: Int
    /// Connection-level failures since start.
    public var failures: Int

    public init(url: String, healthy: Bool, inFlight: Int, requests: Int, failures: Int) {
        self.url = url
        self.healthy = healthy
        self.inFlight = inFlight
        self.requests = requests
        self.failures = failures
    }
}
