import CZMQ

/// A socket option, with the unit it takes in its name.
///
/// Times are in milliseconds as libzmq takes them. Options set after `bind`/`connect`
/// apply to later connections only, so set them first.
public enum ZMQSocketOption: Sendable, Equatable {
    /// How long `close` keeps unsent messages (`ZMQ_LINGER`); libzmq's default is forever.
    case linger(milliseconds: Int32)
    /// Queue limit in messages for outgoing traffic per peer (`ZMQ_SNDHWM`, 0 = none).
    case sendHighWaterMark(Int32)
    /// Queue limit in messages for incoming traffic per peer (`ZMQ_RCVHWM`, 0 = none).
    case receiveHighWaterMark(Int32)
    /// The identity a DEALER presents to a ROUTER (`ZMQ_ROUTING_ID`): 1–255 bytes, first byte non-zero.
    case routingID([UInt8])
    /// Make a ROUTER fail with `EHOSTUNREACH` instead of silently dropping (`ZMQ_ROUTER_MANDATORY`).
    case routerMandatory(Bool)
    /// Let a reconnecting peer take over its routing id from a stale connection (`ZMQ_ROUTER_HANDOVER`).
    case routerHandover(Bool)
    /// ZMTP PING interval (`ZMQ_HEARTBEAT_IVL`); watches the connection, not the peer's application.
    case heartbeatInterval(milliseconds: Int32)
    /// Close the connection if no traffic follows a PING within this time (`ZMQ_HEARTBEAT_TIMEOUT`).
    case heartbeatTimeout(milliseconds: Int32)
    /// Ask the remote peer to time the connection out after this long (`ZMQ_HEARTBEAT_TTL`).
    case heartbeatTTL(milliseconds: Int32)
    /// First reconnect delay (`ZMQ_RECONNECT_IVL`).
    case reconnectInterval(milliseconds: Int32)
    /// Upper bound of the exponential reconnect delay (`ZMQ_RECONNECT_IVL_MAX`).
    case reconnectIntervalMax(milliseconds: Int32)
    /// Queue messages only to completed connections (`ZMQ_IMMEDIATE`).
    case immediate(Bool)
    /// Refuse peers that send a message larger than this (`ZMQ_MAXMSGSIZE`, -1 = no limit).
    case maxMessageSize(Int64)
    /// Kernel send buffer size in bytes (`ZMQ_SNDBUF`, -1 = OS default).
    case sendBufferSize(Int32)
    /// Kernel receive buffer size in bytes (`ZMQ_RCVBUF`, -1 = OS default).
    case receiveBufferSize(Int32)
    /// SUB: receive messages starting with this prefix (`ZMQ_SUBSCRIBE`).
    case subscribe([UInt8])
    /// SUB: stop receiving messages with this prefix (`ZMQ_UNSUBSCRIBE`).
    case unsubscribe([UInt8])
    /// Act as the CURVE server of every connection (`ZMQ_CURVE_SERVER`); needs ``curveSecretKey(_:)``.
    case curveServer(Bool)
    /// This socket's long-term CURVE public key (`ZMQ_CURVE_PUBLICKEY`, 32 bytes).
    case curvePublicKey([UInt8])
    /// This socket's long-term CURVE secret key (`ZMQ_CURVE_SECRETKEY`, 32 bytes).
    case curveSecretKey([UInt8])
    /// A CURVE client: the server's public key (`ZMQ_CURVE_SERVERKEY`, 32 bytes); makes this socket a client.
    case curveServerKey([UInt8])
    /// The ZAP domain sent with authentication requests (`ZMQ_ZAP_DOMAIN`).
    case zapDomain(String)
    /// How long a connection's security handshake may take before it is dropped (`ZMQ_HANDSHAKE_IVL`, 0 = forever).
    case handshakeInterval(milliseconds: Int32)

    func apply(to socket: UnsafeMutableRawPointer) -> Int32 {
        func setInt32(_ name: Int32, _ value: Int32) -> Int32 {
            var value = value
            return zmq_setsockopt(socket, name, &value, MemoryLayout<Int32>.size)
        }
        func setBytes(_ name: Int32, _ value: [UInt8]) -> Int32 {
            value.withUnsafeBytes { zmq_setsockopt(socket, name, $0.baseAddress, $0.count) }
        }
        switch self {
        case .linger(let ms): return setInt32(ZMQ_LINGER, ms)
        case .sendHighWaterMark(let n): return setInt32(ZMQ_SNDHWM, n)
        case .receiveHighWaterMark(let n): return setInt32(ZMQ_RCVHWM, n)
        case .routingID(let id): return setBytes(ZMQ_ROUTING_ID, id)
        case .routerMandatory(let on): return setInt32(ZMQ_ROUTER_MANDATORY, on ? 1 : 0)
        case .routerHandover(let on): return setInt32(ZMQ_ROUTER_HANDOVER, on ? 1 : 0)
        case .heartbeatInterval(let ms): return setInt32(ZMQ_HEARTBEAT_IVL, ms)
        case .heartbeatTimeout(let ms): return setInt32(ZMQ_HEARTBEAT_TIMEOUT, ms)
        case .heartbeatTTL(let ms): return setInt32(ZMQ_HEARTBEAT_TTL, ms)
        case .reconnectInterval(let ms): return setInt32(ZMQ_RECONNECT_IVL, ms)
        case .reconnectIntervalMax(let ms): return setInt32(ZMQ_RECONNECT_IVL_MAX, ms)
        case .immediate(let on): return setInt32(ZMQ_IMMEDIATE, on ? 1 : 0)
        case .maxMessageSize(let bytes):
            var value = bytes
            return zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size)
        case .sendBufferSize(let bytes): return setInt32(ZMQ_SNDBUF, bytes)
        case .receiveBufferSize(let bytes): return setInt32(ZMQ_RCVBUF, bytes)
        case .subscribe(let prefix): return setBytes(ZMQ_SUBSCRIBE, prefix)
        case .unsubscribe(let prefix): return setBytes(ZMQ_UNSUBSCRIBE, prefix)
        case .curveServer(let on): return setInt32(ZMQ_CURVE_SERVER, on ? 1 : 0)
        case .curvePublicKey(let key): return setBytes(ZMQ_CURVE_PUBLICKEY, key)
        case .curveSecretKey(let key): return setBytes(ZMQ_CURVE_SECRETKEY, key)
        case .curveServerKey(let key): return setBytes(ZMQ_CURVE_SERVERKEY, key)
        case .zapDomain(let domain): return setBytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8))
        case .handshakeInterval(let ms): return setInt32(ZMQ_HANDSHAKE_IVL, ms)
        }
    }
}
