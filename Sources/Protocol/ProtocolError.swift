/// Why bytes received from a peer are not a valid v1 message.
///
/// Every case is recoverable for the receiver: reply with an ``ErrorReply`` whose code is
/// ``errorCode`` and carry on. Nothing in the decoder traps on malformed input.
public enum ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message had no frames where a header was expected.
    case missingHeader
    /// The header frame has `actual` bytes instead of ``Header/size``.
    case headerSize(actual: Int)
    /// The header does not start with ASCII `TYRD`.
    case badMagic([UInt8])
    /// The peer speaks another protocol version.
    case unsupportedVersion(UInt16)
    /// The type field names no message type.
    case unknownMessageType(UInt16)
    /// The header's frame count disagrees with the frames that arrived.
    case frameCountMismatch(declared: UInt32, actual: Int)
    /// The metadata frame is not a JSON object of the shape the type requires.
    case badMetadata(MessageType, String)
    /// A payload frame's byte length is not `count × dtype size` from its descriptor.
    case payloadSize(index: Int, expected: Int, actual: Int)
    /// A message arrived where it makes no sense (e.g. a worker sending a ``MessageType/welcome``).
    case unexpected(MessageType)

    /// The error code to report back to the sender.
    public var errorCode: ErrorCode {
        switch self {
        case .unsupportedVersion: .versionMismatch
        case .unknownMessageType: .unknownMessageType
        case .unexpected: .unexpectedMessage
        default: .malformedMessage
        }
    }

    public var description: String {
        switch self {
        case .missingHeader: "message has no header frame"
        case .headerSize(let n): "header frame is \(n) bytes, expected \(Header.size)"
        case .badMagic(let bytes): "header does not start with 'TYRD' (got \(bytes.map { String(format2: $0) }.joined(separator: " ")))"
        case .unsupportedVersion(let v):
            "peer speaks protocol version \(v); this build speaks \(ProtocolVersion.supported.map(String.init).joined(separator: ", "))"
        case .unknownMessageType(let t): "unknown message type 0x\(String(t, radix: 16))"
        case .frameCountMismatch(let declared, let actual):
            "header declares \(declared) frames after it but \(actual) arrived"
        case .badMetadata(let type, let detail): "bad metadata for \(type): \(detail)"
        case .payloadSize(let index, let expected, let actual):
            "payload frame \(index) is \(actual) bytes but its descriptor says \(expected)"
        case .unexpected(let type): "\(type) is not expected here"
        }
    }
}

extension String {
    /// Two-digit hex for one byte.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
