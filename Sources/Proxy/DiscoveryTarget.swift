/// A DNS name whose addresses are the backends, from `--discover HOST:PORT`: every address `HOST` resolves to
/// becomes a backend `http://ADDRESS:PORT`, sent `Host: HOST:PORT`. Meant for a scaled docker compose service,
/// whose name Docker's DNS resolves to one address per container.
public struct DiscoveryTarget: Sendable, Hashable, CustomStringConvertible {
    /// The name to resolve (an IP address is accepted too, and yields itself).
    public let host: String
    /// The port every resolved backend listens on.
    public let port: Int

    /// Resolves `host` and serves on `port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (`[IPv6]:PORT` for a literal IPv6 address).
    /// - Throws: ``ProxyError/invalidDiscoveryTarget(_:)`` when the port is missing or not in 1...65535.
    public init(parsing text: String) throws(ProxyError) {
        guard let (host, port) = HostPort.split(Substring(text), defaultPort: nil), port > 0 else {
            throw .invalidDiscoveryTarget(text)
        }
        self.init(host: host, port: port)
    }

    /// `host:port`, as given to `--discover`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The backend for one resolved address: reached at the address, named by the DNS name.
    func backend(at ipAddress: String) -> BackendAddress {
        BackendAddress(host: ipAddress, port: port, hostHeader: description)
    }
}
