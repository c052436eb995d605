import TrainyardProtocol
import ZeroMQ

/// Frames from a peer through ``WireCodec/decode(_:)``, as the coordinator and the workers receive them.
///
/// The input is cut into frames, each a little-endian `UInt16` length and that many bytes (the last one whatever
/// remains), at most eight. A message that decodes must encode again into frames that decode to the same type,
/// ids and payload sizes.
enum WireFuzz {
    static func run(_ data: UnsafeRawBufferPointer) {
        let frames = self.frames(data)
        if let first = frames.first { _ = Header.peekIDs(first) }
        guard let envelope = try? WireCodec.decode(frames) else { return }
        let decoded: Envelope
        do { decoded = try WireCodec.decode(WireCodec.encode(envelope)) } catch {
            preconditionFailure("a decoded \(envelope.message.type) does not decode once encoded again: \(error)")
        }
        precondition(decoded.message.type == envelope.message.type && decoded.jobID == envelope.jobID
                     && decoded.correlationID == envelope.correlationID && decoded.version == envelope.version,
                     "a re-encoded message changed its header")
        precondition(decoded.message.payload.map(\.count) == envelope.message.payload.map(\.count),
                     "a re-encoded message changed its payload")
    }

    static func frames(_ data: UnsafeRawBufferPointer) -> [ZMQFrame] {
        var frames: [ZMQFrame] = []
        var offset = 0
        while offset < data.count, frames.count < 8 {
            guard offset + 2 <= data.count else { break }
            let length = Int(data[offset]) | Int(data[offset + 1]) << 8
            offset += 2
            let end = frames.count == 7 ? data.count : min(data.count, offset + length)
            frames.append(ZMQFrame(bytes: data[offset..<end]))
            offset = end
        }
        return frames
    }

    /// The input that ``frames(_:)`` cuts into `frames`.
    static func input(_ frames: [ZMQFrame]) -> [UInt8] {
        frames.flatMap { frame in
            frame.withUnsafeBytes { bytes in [UInt8(bytes.count & 0xFF), UInt8(bytes.count >> 8)] + Array(bytes) }
        }
    }
}
