import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection for tests that must send bytes no HTTP client would: bare-LF heads, broken chunked
/// bodies, a head trickled a byte at a time. Blocking calls, each bounded by the timeout given.
public final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    /// Connects to `127.0.0.1:port` (or `host`).
    public init(port: Int, host: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawConnectionError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw RawConnectionError("connect to \(host):\(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// Writes all of `text`; false if the peer has closed the connection.
    @discardableResult
    public func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// Reads until the peer closes, `timeout` passes, or `until` holds for what was read.
    public func receive(timeout: Duration, until: (String) -> Bool = { _ in false }) -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&poller, 1, milliseconds) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (String(decoding: data, as: UTF8.self), true) }
            data += buffer[0..<n]
            if until(String(decoding: data, as: UTF8.self)) { break }
        }
        return (String(decoding: data, as: UTF8.self), false)
    }
}

/// A raw connection's failure.
public struct RawConnectionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
