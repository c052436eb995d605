import NIOCore
import NIOHTTP1

/// A client's request head, parsed only as far as the proxy needs: method, target, version, keep-alive, how the
/// body ends, and which header lines are forwarded as they are. Built by ``RequestFramer``.
struct ClientRequestHead {
    /// The head's bytes, from the request line to the blank line.
    let bytes: ByteBuffer
    /// The method's and request target's ranges in ``bytes``.
    let method: Range<Int>
    /// The method, when it is one the proxy treats specially.
    let knownMethod: KnownMethod
    let target: Range<Int>
    let version: HTTPVersion
    /// Whether the client connection stays open after the response (HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`).
    let keepAlive: Bool
    /// `.none`, `.length(n)` or `.chunked` (a request body never runs until the connection closes).
    let framing: BodyFraming
    /// The header lines (`name: value`, without CRLF) to forward verbatim, as ranges in ``bytes``: everything
    /// except hop-by-hop headers (`Connection` and the headers it names, `Keep-Alive`, `Transfer-Encoding`, `TE`,
    /// `Trailer`, `Upgrade`, `Proxy-*`), `Content-Length`, `Expect`, `X-Forwarded-For` and repeated
    /// `X-Request-Id` lines.
    let forwardedLines: [Range<Int>]
    /// The client's `X-Request-Id` (the first one), if any.
    let requestID: String?
    /// The client's `X-Forwarded-For` values, joined with ", ".
    let forwardedFor: String?
    /// The client sent `Expect: 100-continue`.
    let expectsContinue: Bool
    let hasHost: Bool

    /// The request target as a string (for the proxy's own endpoints).
    var targetString: String {
        bytes.getString(at: bytes.readerIndex + target.lowerBound, length: target.count) ?? ""
    }

    /// The value of the first forwarded header named `name` (a lowercase literal), trimmed. A linear scan: for the
    /// proxy's own endpoints, not the forwarding path.
    func firstValue(of name: StaticString) -> String? {
        bytes.withUnsafeReadableBytes { raw -> String? in
            for line in forwardedLines {
                guard let field = try? HeaderField(line: line, in: raw), HeaderName.matches(raw[field.name], name) else { continue }
                return String(decoding: raw[field.value], as: UTF8.self)
            }
            return nil
        }
    }

    /// The slice of ``bytes`` at `range`.
    func slice(_ range: Range<Int>) -> ByteBuffer {
        bytes.getSlice(at: bytes.readerIndex + range.lowerBound, length: range.count)!
    }

    /// The methods the proxy treats specially (methods are case-sensitive: `get` is `.other`).
    enum KnownMethod {
        case get, head, delete, options, trace, other

        init(_ name: Slice<HeadBytes>) {
            if name.elementsEqual("GET".utf8) { self = .get }
            else if name.elementsEqual("HEAD".utf8) { self = .head }
            else if name.elementsEqual("DELETE".utf8) { self = .delete }
            else if name.elementsEqual("OPTIONS".utf8) { self = .options }
            else if name.elementsEqual("TRACE".utf8) { self = .trace }
            else { self = .other }
        }

        /// A method that usually has no body.
        var isBodiless: Bool { self != .other }
    }
}
