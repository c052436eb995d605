import NIOCore
import NIOHTTP1

/// The response head the proxy writes to its client, as bytes: the backend's status and forwarded header lines
/// copied as they are, `X-Request-Id` set, and the framing and `Connection` chosen by the proxy.
enum ClientResponseHead {
    /// Writes the head for a backend's response into `out`, reserving room behind it for a small body, which the
    /// client handler appends.
    /// - Parameters:
    ///   - keepAlive: whether the client connection stays open; cleared when the body's end can only be marked by
    ///     closing (no length, and an HTTP/1.0 client, which cannot take chunked encoding).
    ///   - chunked: set when the body must be sent chunked (no length, HTTP/1.1 client).
    static func write(from backend: BackendResponseHead, requestID: String, version: HTTPVersion, keepAlive: inout Bool,
                      chunked: inout Bool, into out: inout ByteBuffer) {
        let http10 = version.major == 1 && version.minor == 0
        chunked = false
        switch backend.framing {
        case .chunked, .untilClose:
            if http10 { keepAlive = false } else { chunked = true }
        case .none, .length:
            break
        }
        var inlineBody = 0
        if case .length(let length) = backend.framing, backend.bytes.readableBytes + length <= ProxyHandler.inlineBodyBytes {
            inlineBody = length
        }
        // The status line and forwarded lines are at most the backend's head, plus a byte per line where a bare LF
        // becomes CRLF; then the proxy's own lines.
        let headBound = backend.bytes.readableBytes + backend.forwardedLines.count + requestID.utf8.count + 128
        out.reserveCapacity(minimumWritableBytes: headBound + inlineBody)
        backend.bytes.withUnsafeReadableBytes { raw in
            HeadWriter.write(into: &out, capacity: headBound) { head in
                head.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
                head.append(decimal: backend.status)
                head.append(" ")
                head.append(raw, backend.reason)
                head.append("\r\n")
                head.appendLines(raw, backend.forwardedLines)
                head.appendField("x-request-id", requestID)
                if chunked { head.append("transfer-encoding: chunked\r\n") }
                if !keepAlive {
                    head.append("connection: close\r\n")
                } else if http10 {
                    head.append("connection: keep-alive\r\n")
                }
                head.append("\r\n")
            }
        }
    }

    /// A complete head for a response of the proxy's own (`/metrics`, errors, 413, 503…), with a known length.
    static func local(status: HTTPResponseStatus, contentType: String, length: Int, requestID: String, keepAlive: Bool,
                      allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 160)
        out.writeStaticString("HTTP/1.1 ")
        out.writeString(String(status.code))
        out.writeStaticString(" ")
        out.writeString(status.reasonPhrase)
        out.writeStaticString("\r\ncontent-type: ")
        out.writeString(contentType)
        out.writeStaticString("\r\ncontent-length: ")
        out.writeString(String(length))
        out.writeStaticString("\r\nx-request-id: ")
        out.writeString(requestID)
        out.writeStaticString(keepAlive ? "\r\n\r\n" : "\r\nconnection: close\r\n\r\n")
        return out
    }
}
