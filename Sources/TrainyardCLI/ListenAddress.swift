import ArgumentParser

/// `--listen HOST:PORT`, `:PORT` (all interfaces) or `PORT`.
struct ListenAddress: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        let portText = parts.last.map(String.init) ?? ""
        guard let port = Int(portText), (0...65535).contains(port), parts.count <= 2 else { return nil }
        let host = parts.count == 2 ? String(parts[0]) : ""
        self.init(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    var description: String { "\(host):\(port)" }
}
