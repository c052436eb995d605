#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Resolves names with the system's `getaddrinfo` (`/etc/hosts`, then DNS; in a docker compose network Docker's
/// DNS answers a scaled service's name with one address per container). Blocks for as long as the lookup takes,
/// up to the resolver's own timeout.
public struct SystemResolver: HostResolver {
    public init() {}

    /// Every IPv4 and IPv6 address of `host`, in the order getaddrinfo gives them.
    /// - Throws: ``ProxyError/resolutionFailed(host:reason:)`` with getaddrinfo's reason (e.g. "Name or service not
    ///   known" for NXDOMAIN, "Temporary failure in name resolution" when no DNS server answered).
    public func resolve(host: String, port: Int) throws(ProxyError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_NUMERICSERV
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw .resolutionFailed(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var seen: Set<String> = []
        var next = list
        while let info = next {
            next = info.pointee.ai_next
            guard let address = Self.socketAddress(of: info.pointee, host: host), let ip = address.ipAddress,
                  seen.insert(ip).inserted else { continue }
            addresses.append(address)
        }
        return addresses
    }

    private static func socketAddress(of info: addrinfo, host: String) -> SocketAddress? {
        guard let raw = info.ai_addr else { return nil }
        switch info.ai_family {
        case AF_INET:
            return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) }
        case AF_INET6:
            return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) }
        default:
            return nil
        }
    }
}
