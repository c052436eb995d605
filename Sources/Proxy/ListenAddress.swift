/// The address the proxy accepts clients on, parsed from `HOST:PORT`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// Interface to bind (`0.0.0.0` for all IPv4 interfaces).
    public var host: String
    /// TCP port; 0 picks a free one (see ``ProxyServer/start()``).
    public var port: Int

    /// Binds `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`.
    /// - Throws: ``ProxyError/invalidListenAddress(_:)`` when the port is missing or not a number in 0...65535.
    public init(parsing text: String) throws(ProxyError) {
        guard let (host, port) = HostPort.split(Substring(text), defaultPort: nil) else {
            throw .invalidListenAddress(text)
        }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
