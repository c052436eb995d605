import Crypto
import DistributedTraining
import TrainyardML
import ZeroMQ

/// Reassembles one shard from its SHARD_CHUNKs, checking each chunk's SHA-256 and, at
/// the end, the whole shard's.
///
/// The whole digest is computed chunk by chunk as they arrive. Dense shards (trees) are
/// written straight into their label and value arrays, so a shard costs one copy out of
/// libzmq's buffers; CSR shards are collected as bytes and decoded at the end.
struct ShardReceiver {
    let begin: ShardBegin
    private var destination: Destination
    private var hasher = SHA256()
    private var received = 0
    private var next = 0

    private enum Destination {
        case dense(labels: [Float], values: [Float])
        case bytes([UInt8])
    }

    init(_ begin: ShardBegin) throws(ShardError) {
        guard begin.bytes >= 0, begin.chunkBytes > 0, begin.chunks == (begin.bytes + begin.chunkBytes - 1) / begin.chunkBytes else {
            throw .malformed("\(begin.bytes) bytes do not make \(begin.chunks) chunks of \(begin.chunkBytes)")
        }
        self.begin = begin
        let shard = begin.shard
        switch shard.layout {
        case .denseF32:
            let (cells, overflow) = shard.rows.multipliedReportingOverflow(by: shard.columns)
            guard shard.rows >= 0, shard.columns >= 0, !overflow, begin.bytes % 4 == 0,
                  cells <= Int.max / 4 - shard.rows, cells + shard.rows == begin.bytes / 4 else {
                throw .malformed("\(begin.bytes) bytes are not \(shard.rows) labels and \(shard.rows) × \(shard.columns) values")
            }
            destination = .dense(labels: Self.uninitialized(shard.rows), values: Self.uninitialized(cells))
        case .csrF32:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(begin.bytes)
            destination = .bytes(bytes)
        }
    }

    /// An array of `count` floats whose contents are written later (every byte of a shard
    /// is written before ``finish()`` returns it).
    private static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Appends chunk `chunk.chunk`, which must be the next one and match its digest. A
    /// resent chunk that already arrived is ignored.
    mutating func receive(_ chunk: ShardChunk, bytes frame: ZMQFrame) throws(ShardError) {
        if chunk.chunk < next { return }
        guard chunk.chunk == next else { throw .outOfOrder("expected chunk \(next), got \(chunk.chunk)") }
        let expectedSize = min(begin.chunkBytes, begin.bytes - received)
        guard frame.count == expectedSize else {
            throw .malformed("chunk \(chunk.chunk) has \(frame.count) bytes, expected \(expectedSize)")
        }
        let digest = frame.withUnsafeBytes { SHA256.hash(data: $0).hex }
        guard digest == chunk.sha256 else { throw .checksumMismatch(chunk: chunk.chunk, expected: chunk.sha256, actual: digest) }
        frame.withUnsafeBytes { bytes in
            hasher.update(bufferPointer: bytes)
            write(bytes, at: received)
        }
        received += frame.count
        next += 1
    }

    /// Copies `bytes` to shard offset `offset` (labels first, then values, for dense shards).
    private mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        switch destination {
        case .bytes(var all):
            destination = .bytes([])  // keeps `all` uniquely referenced while it grows
            all.append(contentsOf: bytes)
            destination = .bytes(all)
        case .dense(var labels, var values):
            destination = .bytes([])
            let labelBytes = labels.count * 4
            if offset < labelBytes {
                let count = min(bytes.count, labelBytes - offset)
                labels.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: count) }
                if count < bytes.count {
                    values.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: bytes.baseAddress! + count, byteCount: bytes.count - count) }
                }
            } else {
                values.withUnsafeMutableBytes {
                    $0.baseAddress!.advanced(by: offset - labelBytes).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                }
            }
            destination = .dense(labels: labels, values: values)
        }
    }

    /// The decoded shard once every chunk arrived and the whole digest matches.
    func finish() throws(ShardError) -> ShardData {
        guard next == begin.chunks else { throw .outOfOrder("SHARD_END after \(next) of \(begin.chunks) chunks") }
        let digest = hasher.finalize().hex
        guard digest == begin.sha256 else { throw .checksumMismatch(chunk: nil, expected: begin.sha256, actual: digest) }
        switch destination {
        case .dense(let labels, let values):
            return .dense(DenseMatrix(rows: begin.shard.rows, columns: begin.shard.columns, values: values), labels: labels)
        case .bytes(let bytes):
            return try ShardData.decode(bytes, as: begin.shard)
        }
    }
}
