import DistributedTraining
import TrainyardProtocol
import ZeroMQ

/// Ships a shard to a worker: SHARD_BEGIN, then SHARD_CHUNKs with their SHA-256 under a
/// window of unacknowledged chunks (flow control), then SHARD_END, which the worker
/// acknowledges once the whole shard's digest matches. A chunk the worker rejects is
/// sent again from there (go-back-N), up to ``maxResends`` times. Chunks are hashed and
/// sent from the coordinator's own arrays (``ShardBytes``), without copies.
struct ShardShipper {
    let link: ClusterLink
    let job: UInt64
    let timeout: Duration
    let cancelled: @Sendable () -> Bool
    var chunkBytes = 4 << 20
    var window = 4
    var maxResends = 3

    /// Returns the bytes of shard data sent: the shard's size, or 0 when the worker already
    /// held the same bytes and said so (SHARD_BEGIN with `reuse`).
    @discardableResult
    func ship(_ bytes: ShardBytes, descriptor: ShardDescriptor, to worker: String) throws(ClusterError) -> Int {
        let chunks = (bytes.count + chunkBytes - 1) / chunkBytes
        let begin = ShardBegin(shard: descriptor, bytes: bytes.count, chunks: chunks, chunkBytes: chunkBytes,
                               sha256: bytes.sha256(), reuse: true)
        let ack = try link.call(ShardCalls.Begin.self, begin, to: worker, job: job, timeout: timeout, cancelled: cancelled).body
        if chunks > 0, ack.chunk == chunks { return 0 }
        var next = 0
        var resends = 0
        var inFlight: [(chunk: Int, correlation: UInt64)] = []
        while next < chunks || !inFlight.isEmpty {
            while next < chunks && inFlight.count < window {
                let range = (next * chunkBytes)..<min(bytes.count, (next + 1) * chunkBytes)
                let body = ShardChunk(shard: descriptor.index, chunk: next, sha256: bytes.sha256(of: range))
                let frame = Payload(dtype: .u8, frame: bytes.frame(range))
                inFlight.append((next, try link.send(ShardCalls.Chunk.self, body, payload: [frame], to: worker, job: job)))
                next += 1
            }
            let (chunk, correlation) = inFlight.removeFirst()
            do {
                _ = try ClusterLink.decode(ShardCalls.Chunk.self, try link.await([correlation], timeout: timeout, cancelled: cancelled)[0],
                                           from: worker)
            } catch .workerError(_, let reply) where reply.code == .checksumMismatch && resends < maxResends {
                // Drain the rest of the window (rejected as out of order), then go back.
                for (_, later) in inFlight { _ = try? link.await([later], timeout: timeout, cancelled: cancelled) }
                inFlight = []
                next = chunk
                resends += 1
            }
        }
        _ = try link.call(ShardCalls.End.self, ShardRef(shard: descriptor.index), to: worker, job: job, timeout: timeout,
                          cancelled: cancelled)
        return bytes.count
    }
}
