import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a connection attempt or a request failed, as counted in ``LoadTestReport/errors``.
public enum LoadErrorKind: String, CaseIterable, Codable, Sendable {
    /// The target refused the TCP connection (nothing listens on the port).
    case connectRefused
    /// The connection was reset or closed by the peer while a request was outstanding.
    case connectionClosed
    /// No response (or no connection) within the plan's request timeout.
    case timeout
    /// The TLS handshake failed (an untrusted certificate, one that does not name the host, a plain-HTTP server).
    case tls
    /// Anything else: an unparsable response, an unexpected socket error.
    case other

    /// Classifies an error raised by NIO while connecting or on an open connection.
    static func classify(_ error: any Error) -> LoadErrorKind {
        if let failure = error as? NIOConnectionError {
            // A multi-address connect failure carries one error per address; the first says enough.
            if failure.dnsAAAAError == nil, failure.dnsAError == nil, let first = failure.connectionErrors.first {
                return classify(first.error)
            }
            return .other
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return .connectRefused
            case ECONNRESET, EPIPE, ECONNABORTED, ENOTCONN: return .connectionClosed
            case ETIMEDOUT: return .timeout
            default: return .other
            }
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError { return .tls }
        if let parser = error as? HTTPParserError, parser == .invalidEOFState {
            // The peer closed in the middle of a response.
            return .connectionClosed
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return .timeout
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed: return .connectionClosed
            default: return .other
            }
        }
        return .other
    }
}
