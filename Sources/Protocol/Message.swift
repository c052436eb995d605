import ZeroMQ

/// A decoded message: its type-specific metadata and payload.
public enum Message: Sendable {
    case register(Register)
    case welcome(Welcome)
    case heartbeat
    case deregister(Deregister)
    case error(ErrorReply)
    case statusRequest
    case statusReply(ClusterStatus)
    /// Diagnostics and transport benchmarks: the receiver answers ``echoReply(_:)`` with the same payload.
    case echoRequest([Payload])
    case echoReply([Payload])
    /// Any other type — jobs, shards, training, and the types still reserved — with its raw
    /// metadata (a JSON object) and payload. Build one with ``encoding(_:_:payload:)`` and
    /// read its fields with ``decodeBody(_:)``. On encode, the codec sets the object's
    /// `payload` key to describe the payload frames.
    case other(MessageType, metadata: [UInt8], payload: [Payload])

    /// The header type for this message.
    public var type: MessageType {
        switch self {
        case .register: .register
        case .welcome: .welcome
        case .heartbeat: .heartbeat
        case .deregister: .deregister
        case .error: .error
        case .statusRequest: .statusRequest
        case .statusReply: .statusReply
        case .echoRequest: .echoRequest
        case .echoReply: .echoReply
        case .other(let type, _, _): type
        }
    }

    /// The bulk frames carried after the metadata.
    public var payload: [Payload] {
        switch self {
        case .echoRequest(let payload), .echoReply(let payload), .other(_, _, let payload): payload
        default: []
        }
    }
}

/// A message with the header fields that route it: job and correlation ids.
public struct Envelope: Sendable {
    public var message: Message
    public var jobID: UInt64
    public var correlationID: UInt64
    /// The version in the header. Always ``ProtocolVersion/current`` except in tests that
    /// impersonate a peer of another version.
    public var version: UInt16

    public init(_ message: Message, jobID: UInt64 = 0, correlationID: UInt64 = 0,
                version: UInt16 = ProtocolVersion.current) {
        self.message = message
        self.jobID = jobID
        self.correlationID = correlationID
        self.version = version
    }
}

extension Message {
    /// A message of `type` whose metadata is `body` encoded as JSON.
    public static func encoding(_ type: MessageType, _ body: some Encodable, payload: [Payload] = []) -> Message {
        .other(type, metadata: WireCodec.json(body, []), payload: payload)
    }

    /// The metadata decoded as `Body`; throws ``ProtocolError/badMetadata(_:_:)`` naming
    /// the missing or mistyped field.
    public func decodeBody<Body: Decodable>(_: Body.Type) throws(ProtocolError) -> Body {
        guard case .other(let type, let metadata, _) = self else {
            throw .badMetadata(self.type, "this message has no body of type \(Body.self)")
        }
        return try WireCodec.decodeJSON(Body.self, metadata.isEmpty ? Array("{}".utf8) : metadata, type)
    }
}
