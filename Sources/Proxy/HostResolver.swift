import NIOCore

/// Turns a host name into the addresses it has now. ``SystemResolver`` asks the system (getaddrinfo); tests give
/// the proxy a fake to make backends appear and vanish on cue.
///
/// The proxy calls ``resolve(host:port:)`` on NIO's blocking-work thread pool, never on an event loop or Swift's
/// cooperative pool, so an implementation may block.
public protocol HostResolver: Sendable {
    /// Every address of `host` (IPv4 and IPv6), each with `port` set, duplicates removed.
    /// - Throws: ``ProxyError/resolutionFailed(host:reason:)`` when the name does not resolve (unknown name,
    ///   no DNS answer in time); the proxy then keeps the backends it last resolved.
    func resolve(host: String, port: Int) throws(ProxyError) -> [SocketAddress]
}
