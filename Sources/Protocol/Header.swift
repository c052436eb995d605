import ZeroMQ

/// The fixed 32-byte frame that starts every message.
///
/// ```
/// offset size field
///  0     4    magic "TYRD"
///  4     2    version        (u16 LE)
///  6     2    type           (u16 LE, MessageType)
///  8     4    flags          (u32 LE, all reserved in v1: send 0, ignore on receipt)
/// 12     4    frame count    (u32 LE, frames after the header: metadata + payload)
/// 16     8    job id         (u64 LE, 0 = none)
/// 24     8    correlation id (u64 LE, echoed in replies, 0 = none)
/// ```
/// The first eight bytes keep this layout in every future version, so that a peer of any
/// version can read the version and type of an ``MessageType/error`` reply.
public struct Header: Sendable, Equatable {
    /// The header frame's size in bytes.
    public static let size = 32

    public var version: UInt16
    public var type: MessageType
    public var flags: UInt32
    public var frameCount: UInt32
    public var jobID: UInt64
    public var correlationID: UInt64

    public init(version: UInt16 = ProtocolVersion.current, type: MessageType, flags: UInt32 = 0,
                frameCount: UInt32, jobID: UInt64 = 0, correlationID: UInt64 = 0) {
        self.version = version
        self.type = type
        self.flags = flags
        self.frameCount = frameCount
        self.jobID = jobID
        self.correlationID = correlationID
    }

    /// The header as a 32-byte frame.
    public func encode() -> ZMQFrame {
        ZMQFrame(count: Header.size) { buffer in
            var writer = ByteWriter(buffer)
            writer.write(ProtocolVersion.magic)
            writer.write(version)
            writer.write(type.rawValue)
            writer.write(flags)
            writer.write(frameCount)
            writer.write(jobID)
            writer.write(correlationID)
        }
    }

    /// The fields that can be read from any header frame whatever its version: enough to
    /// address an error reply. `nil` if the frame is too short or lacks the magic.
    public static func peekIDs(_ frame: ZMQFrame) -> (version: UInt16, correlationID: UInt64)? {
        frame.withUnsafeBytes { bytes in
            var reader = ByteReader(bytes)
            guard reader.readBytes(4) == ProtocolVersion.magic, let version = reader.read(UInt16.self) else { return nil }
            guard bytes.count >= size else { return (version, 0) }
            var tail = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[24..<32]))
            return (version, tail.read(UInt64.self) ?? 0)
        }
    }

    /// Decodes and validates a header frame: size, magic, version and type.
    public static func decode(_ frame: ZMQFrame) throws(ProtocolError) -> Header {
        try frame.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws(ProtocolError) -> Header in
            var reader = ByteReader(bytes)
            guard let magic = reader.readBytes(4), magic == ProtocolVersion.magic else {
                throw .badMagic(Array(bytes.prefix(4)))
            }
            guard let version = reader.read(UInt16.self) else { throw .headerSize(actual: bytes.count) }
            guard ProtocolVersion.supported.contains(version) else { throw .unsupportedVersion(version) }
            guard bytes.count == size else { throw .headerSize(actual: bytes.count) }
            let rawType = reader.read(UInt16.self)!
            guard let type = MessageType(rawValue: rawType) else { throw .unknownMessageType(rawType) }
            return Header(version: version, type: type, flags: reader.read(UInt32.self)!,
                          frameCount: reader.read(UInt32.self)!, jobID: reader.read(UInt64.self)!,
                          correlationID: reader.read(UInt64.self)!)
        }
    }
}
