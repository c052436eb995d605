import NIOCore
import Proxy
import Synchronization

/// A ``HostResolver`` answering from a table the test changes: names resolve to the IP addresses last set, or
/// fail like NXDOMAIN. Counts lookups so that a test can wait for the proxy to have seen a change.
final class FakeResolver: HostResolver {
    private let table = Mutex<[String: [String]]>([:])
    /// Lookups answered or failed so far.
    let lookups = Atomic<Int>(0)

    /// From now on `host` resolves to `addresses`.
    func set(_ host: String, to addresses: [String]) {
        table.withLock { $0[host] = addresses }
    }

    /// From now on `host` does not resolve.
    func fail(_ host: String) {
        _ = table.withLock { $0.removeValue(forKey: host) }
    }

    func resolve(host: String, port: Int) throws(ProxyError) -> [SocketAddress] {
        defer { lookups.add(1, ordering: .relaxed) }
        guard let addresses = table.withLock({ $0[host] }) else {
            throw .resolutionFailed(host: host, reason: "Name or service not known")
        }
        var resolved: [SocketAddress] = []
        for address in addresses {
            guard let socket = try? SocketAddress(ipAddress: address, port: port) else {
                throw .resolutionFailed(host: host, reason: "bad test address \(address)")
            }
            resolved.append(socket)
        }
        return resolved
    }

    /// Waits until the proxy has made `count` more lookups, so that it has seen what the table says now.
    func waitForLookups(_ count: Int = 2) async throws {
        let target = lookups.load(ordering: .relaxed) + count
        try await eventually("\(count) more lookups") { lookups.load(ordering: .relaxed) >= target }
    }
}
