import CZMQ

/// One event of a socket monitor (``ZMQSocket/monitor(_:events:)``): the two frames libzmq
/// sends on the monitor's PAIR socket, decoded. Only the security handshake's events are
/// named; the others are ``other(_:value:endpoint:)``.
public enum ZMQMonitorEvent: Sendable, Equatable {
    /// The security handshake with the peer at `endpoint` succeeded.
    case handshakeSucceeded(endpoint: String)
    /// The peer's credentials were refused: `status` is the ZAP status code (e.g. 400).
    case handshakeFailedAuth(endpoint: String, status: Int)
    /// The handshake broke the protocol (`ZMQ_PROTOCOL_ERROR_*`, e.g. a mechanism mismatch
    /// between a CURVE and a plaintext peer, or a CURVE message that does not decrypt).
    case handshakeFailedProtocol(endpoint: String, code: Int)
    /// The handshake failed for another reason (`errno`), e.g. the connection closed during it.
    case handshakeFailedNoDetail(endpoint: String, errno: Int)
    /// Any other event.
    case other(Int, value: Int, endpoint: String)

    /// The events above, as a mask for ``ZMQSocket/monitor(_:events:)``.
    public static let handshakeEvents: Int32 = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL

    /// Decodes a monitor message: a 6-byte frame (`u16` event, `u32` value, native byte
    /// order) and a frame with the endpoint. `nil` if the frames are not one.
    public init?(frames: [ZMQFrame]) {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let (event, value) = frames[0].withUnsafeBytes { raw in
            (Int(raw.loadUnaligned(as: UInt16.self)), Int(raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
        }
        let endpoint = String(decoding: frames[1].bytes, as: UTF8.self)
        switch Int32(event) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded(endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailedAuth(endpoint: endpoint, status: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailedProtocol(endpoint: endpoint, code: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailedNoDetail(endpoint: endpoint, errno: value)
        default: self = .other(event, value: value, endpoint: endpoint)
        }
    }
}
