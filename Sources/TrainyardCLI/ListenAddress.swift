import ArgumentParser
import HTTPSupport

extension ListenAddress: ExpressibleByArgument {
    /// `--listen HOST:PORT`, `[IPv6]:PORT`, `:PORT` (all interfaces) or `PORT`.
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ListenAddress {
    /// Fails with one clear line — `cannot listen on 127.0.0.1:9000: address already in use` — when the address cannot be
    /// bound right now (port taken, address not on this host), before a server starts and fails deep inside its event loop.
    /// Port 0 (any free port) is not checked.
    func checkAvailable() throws {
        guard port != 0 else { return }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            throw CommandFailure("cannot listen on \(self): cannot resolve \(host)")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var one: Int32 = 1
        // As the servers do: a port in TIME_WAIT is free to them.
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            let reason = String(cString: strerror(errno))
            throw CommandFailure("cannot listen on \(self): \(reason.prefix(1).lowercased() + reason.dropFirst())")
        }
    }
}
