/// Where a server listens (`--listen` of the registry, a replica, the proxy and the coordinator's embedded registry):
/// `HOST:PORT`, `[IPv6]:PORT`, `:PORT` (every IPv4 interface, `0.0.0.0`) or `PORT` alone (the same). Port 0 picks a
/// free port.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// Interface to bind (`0.0.0.0` for every IPv4 interface).
    public var host: String
    /// TCP port, 0...65535.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses one of the forms above; `nil` when the port is missing or not a number in 0...65535, or the host is malformed.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard !host.isEmpty else { return nil }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        } else {
            host = ""
            portText = Substring(text)
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.init(host: host.isEmpty ? "0.0.0.0" : String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
