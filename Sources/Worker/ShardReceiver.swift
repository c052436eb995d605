import DistributedTraining
import ZeroMQ

/// Reassembles one shard from its SHARD_CHUNKs, checking each chunk's SHA-256 and, at
/// the end, the whole shard's.
struct ShardReceiver {
    let begin: ShardBegin
    private var bytes: [UInt8]
    private var next = 0

    init(_ begin: ShardBegin) throws(ShardError) {
        guard begin.bytes >= 0, begin.chunkBytes > 0, begin.chunks == (begin.bytes + begin.chunkBytes - 1) / begin.chunkBytes else {
            throw .malformed("\(begin.bytes) bytes do not make \(begin.chunks) chunks of \(begin.chunkBytes)")
        }
        self.begin = begin
        bytes = []
        bytes.reserveCapacity(begin.bytes)
    }

    /// Appends chunk `chunk.chunk`, which must be the next one and match its digest. A
    /// resent chunk that already arrived is ignored.
    mutating func receive(_ chunk: ShardChunk, bytes frame: ZMQFrame) throws(ShardError) {
        if chunk.chunk < next { return }
        guard chunk.chunk == next else { throw .outOfOrder("expected chunk \(next), got \(chunk.chunk)") }
        let expectedSize = min(begin.chunkBytes, begin.bytes - bytes.count)
        guard frame.count == expectedSize else {
            throw .malformed("chunk \(chunk.chunk) has \(frame.count) bytes, expected \(expectedSize)")
        }
        let digest = frame.withUnsafeBytes { ShardData.sha256(ArraySlice($0)) }
        guard digest == chunk.sha256 else { throw .checksumMismatch(chunk: chunk.chunk, expected: chunk.sha256, actual: digest) }
        frame.withUnsafeBytes { bytes.append(contentsOf: $0) }
        next += 1
    }

    /// The decoded shard once every chunk arrived and the whole digest matches.
    func finish() throws(ShardError) -> ShardData {
        guard next == begin.chunks else { throw .outOfOrder("SHARD_END after \(next) of \(begin.chunks) chunks") }
        let digest = ShardData.sha256(bytes[...])
        guard digest == begin.sha256 else { throw .checksumMismatch(chunk: nil, expected: begin.sha256, actual: digest) }
        return try ShardData.decode(bytes, as: begin.shard)
    }
}
