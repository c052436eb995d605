/// Where a backend replica listens: `http://HOST:PORT`. Only plain HTTP/1.1 is spoken to backends.
public struct BackendAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address (IPv6 without brackets).
    public let host: String
    /// TCP port.
    public let port: Int
    /// The `Host` header sent to the backend when it is not `host:port` (a discovered backend is reached at its
    /// IP address but named by the DNS name it was discovered under).
    private let namedHost: String?

    /// A backend at `host:port`.
    /// - Parameter hostHeader: the `Host` header for probes; by default `host:port`.
    public init(host: String, port: Int, hostHeader: String? = nil) {
        self.host = host
        self.port = port
        self.namedHost = hostHeader
    }

    /// Parses `http://HOST:PORT` (a trailing `/` is allowed; the port defaults to 80). IPv6 hosts go in brackets.
    /// - Throws: ``ProxyError/invalidBackendURL(_:reason:)`` for another scheme, a path, or a bad port.
    public init(url: String) throws(ProxyError) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst("http://".count)
        } else if rest.contains("://") {
            throw .invalidBackendURL(url, reason: "only http:// is supported")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("/") { throw .invalidBackendURL(url, reason: "a path prefix is not supported") }
        guard let (host, port) = HostPort.split(rest, defaultPort: 80) else {
            throw .invalidBackendURL(url, reason: "host or port is malformed")
        }
        self.init(host: host, port: port)
    }

    /// `http://host:port`, as given to `--backend` and shown in metrics and `/proxy/backends`.
    /// Also the backend's identity in a changing set: two addresses with the same description are one backend.
    public var description: String { "http://\(authority)" }

    /// The value of a `Host` header naming this backend: the name given at init, else `host:port` (IPv6 in brackets).
    public var hostHeader: String { namedHost ?? authority }

    /// `host:port`, IPv6 in brackets.
    private var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// `HOST:PORT` parsing shared by backend URLs and the listen address.
enum HostPort {
    /// Splits `host:port`, `[v6]:port`, or (with a default port) a bare host. Nil when malformed.
    static func split(_ text: Substring, defaultPort: Int?) -> (String, Int)? {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        } else {
            host = text
        }
        guard !host.isEmpty else { return nil }
        let port: Int
        if let portText {
            guard let parsed = Int(portText), (0...65535).contains(parsed) else { return nil }
            port = parsed
        } else {
            guard let defaultPort else { return nil }
            port = defaultPort
        }
        return (String(host), port)
    }
}
