import NIOCore
import NIOHTTP1
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plan's URL parsed and resolved once, with the request's bytes built once.
///
/// Every connection writes ``requestBytes`` unchanged for each request (a shared, never-mutated
/// buffer, so writing it copies nothing) and hands ``requestHead`` to the response decoder so it
/// knows which method each response answers.
struct RequestTarget: Sendable {
    /// The host as written in the URL (brackets stripped from IPv6 literals).
    let host: String
    let port: Int
    /// Path and query, `/` when the URL has none.
    let path: String
    /// The address connections are opened to (IPv4 preferred when a name has both).
    let address: SocketAddress
    /// The complete request: request line, headers and body.
    let requestBytes: ByteBuffer
    /// What the response decoder needs to know about the request (its method, for `HEAD`).
    let requestHead: HTTPRequestHead
    /// For `https://` targets, the TLS context every connection's handshake shares (the plan's trust, or the system's).
    let tls: NIOSSLContext?

    /// Parses `plan.url`, resolves its host and builds the request.
    init(plan: LoadTestPlan) throws(LoadTestError) {
        let parts = try Self.parse(plan.url)
        host = parts.host
        port = parts.port
        path = parts.path
        address = try Self.resolve(host: host, port: port)
        requestBytes = Self.build(plan: plan, path: path, hostHeader: parts.hostHeader)
        requestHead = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: plan.method), uri: path)
        if parts.secure {
            do {
                tls = try NIOSSLContext(configuration: plan.tlsConfiguration ?? .makeClientConfiguration())
            } catch {
                throw .tlsSetup("\(error)")
            }
        } else {
            tls = nil
        }
    }

    /// The handler that encrypts one connection, first in its pipeline; `nil` for `http://`. The certificate must
    /// name ``host`` (a DNS name is also sent as SNI; an IP address is checked against the certificate's IP entries).
    func makeTLSHandler() throws -> NIOSSLClientHandler? {
        guard let tls else { return nil }
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : host)
    }

    /// Splits `http[s]://host[:port][/path][?query]`; the fragment is dropped. `hostHeader` is the
    /// `Host` value: the authority as written, without the port when it is the scheme's default (80 or 443).
    static func parse(_ url: String) throws(LoadTestError)
        -> (secure: Bool, host: String, port: Int, path: String, hostHeader: String) {
        guard let schemeEnd = url.firstRange(of: "://") else { throw .invalidURL(url, reason: "no scheme") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .unsupportedScheme(scheme) }
        let secure = scheme == "https"
        let defaultPort = secure ? 443 : 80
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...].prefix(while: { $0 != "#" }))
        if path.isEmpty || path.first == "?" { path = "/" + path }
        guard !authority.isEmpty else { throw .invalidURL(url, reason: "no host") }
        guard !authority.contains("@") else { throw .invalidURL(url, reason: "credentials in URLs are not supported") }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url, reason: "unclosed IPv6 bracket") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw .invalidURL(url, reason: "junk after IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL(url, reason: "no host") }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw .invalidURL(url, reason: "port '\(portText)' is not a number from 1 to 65535")
            }
            port = value
        }
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidURL(url, reason: "the path must be percent-encoded (no spaces or non-ASCII characters)")
        }
        let hostHeader = authority.hasPrefix("[") || port != defaultPort ? String(authority) : String(host)
        return (secure, String(host), port, path, hostHeader)
    }

    /// The request's bytes. `Host` and `User-Agent` can be overridden by the plan's headers;
    /// `Content-Length` is always the body's length (and is sent for every method that has a body
    /// or conventionally carries one).
    static func build(plan: LoadTestPlan, path: String, hostHeader: String) -> ByteBuffer {
        var text = "\(plan.method) \(path) HTTP/1.1\r\n"
        let names = Set(plan.headers.map { $0.name.lowercased() })
        if !names.contains("host") { text += "Host: \(hostHeader)\r\n" }
        if !names.contains("user-agent") { text += "User-Agent: trainyard-loadtest\r\n" }
        for header in plan.headers where header.name.lowercased() != "content-length" {
            text += "\(header.name): \(header.value)\r\n"
        }
        if !plan.body.isEmpty || ["POST", "PUT", "PATCH"].contains(plan.method) {
            text += "Content-Length: \(plan.body.count)\r\n"
        }
        text += "\r\n"
        var buffer = ByteBufferAllocator().buffer(capacity: text.utf8.count + plan.body.count)
        buffer.writeString(text)
        buffer.writeBytes(plan.body)
        return buffer
    }

    /// Resolves a host name with `getaddrinfo`, preferring IPv4 (servers often listen on
    /// `0.0.0.0` only, while `localhost` may resolve to `::1` first).
    static func resolve(host: String, port: Int) throws(LoadTestError) -> SocketAddress {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return literal }
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw .unresolvableHost(host)
        }
        defer { freeaddrinfo(list) }
        var candidates: [SocketAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            if let sockaddr = entry.pointee.ai_addr {
                switch entry.pointee.ai_family {
                case AF_INET:
                    let address = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                    candidates.append(SocketAddress(address, host: host))
                case AF_INET6:
                    let address = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                    candidates.append(SocketAddress(address, host: host))
                default:
                    break
                }
            }
            node = entry.pointee.ai_next
        }
        let preferred = candidates.first(where: { $0.protocol == .inet }) ?? candidates.first
        guard let preferred else { throw .unresolvableHost(host) }
        return preferred
    }
}
