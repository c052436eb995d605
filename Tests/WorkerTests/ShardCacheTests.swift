import DistributedTraining
import Testing
import TrainyardML
import TrainyardProtocol
@testable import Worker

/// Workers keep shards by content: a SHARD_BEGIN with `reuse` for bytes a worker received
/// before (another job's, another trial's) is answered at once, and nothing else is sent.
struct ShardCacheTests {
    func begin(_ bytes: ShardBytes, rows: Int, columns: Int, reuse: Bool?) -> ShardBegin {
        ShardBegin(shard: ShardDescriptor(index: 0, firstRow: 0, rows: rows, totalRows: rows, columns: columns, layout: .denseF32),
                   bytes: bytes.count, chunks: 1, chunkBytes: bytes.count, sha256: bytes.sha256(), reuse: reuse)
    }

    func ack(_ executor: ShardExecutor, _ message: Message, job: UInt64) throws -> ShardAck {
        let reply = try #require(executor.handle(Envelope(message, jobID: job)))
        try #require(reply.type == .shardAck, "\(reply)")
        return try reply.decodeBody(ShardAck.self)
    }

    @Test func aShardReceivedOnceIsReusedByTheNextJobAndSketchesTheSame() throws {
        let rows = 40, columns = 3
        let values = (0..<rows * columns).map { Float($0 % 17) }, labels = (0..<rows).map { Float($0 % 2) }
        let bytes = ShardBytes.dense(DenseMatrix(rows: rows, columns: columns, values: values), labels: labels, rows: 0..<rows)
        let executor = ShardExecutor(threads: 1)
        // Job 1 ships it in full (nothing cached yet, reuse asked for).
        #expect(try ack(executor, .encoding(.shardBegin, begin(bytes, rows: rows, columns: columns, reuse: true)), job: 1).chunk == -1)
        _ = try ack(executor, .encoding(.shardChunk, ShardChunk(shard: 0, chunk: 0, sha256: bytes.sha256()),
                                        payload: [.uint8(bytes.bytes)]), job: 1)
        #expect(try ack(executor, .encoding(.shardEnd, ShardRef(shard: 0)), job: 1).chunk == 1)
        let sketch1 = try #require(executor.handle(Envelope(.encoding(.sketchRequest, ShardRef(shard: 0)), jobID: 1)))
        #expect(executor.handle(Envelope(.encoding(.jobAbort, JobAbort(reason: "done")), jobID: 1)) == nil)
        // Job 2: held at once, chunk = chunks; the shard answers as the shipped one did.
        #expect(try ack(executor, .encoding(.shardBegin, begin(bytes, rows: rows, columns: columns, reuse: true)), job: 2).chunk == 1)
        let sketch2 = try #require(executor.handle(Envelope(.encoding(.sketchRequest, ShardRef(shard: 0)), jobID: 2)))
        #expect(sketch2.type == .sketchReply && FeatureArrays.arrays(sketch2.payload) == FeatureArrays.arrays(sketch1.payload))
        #expect(executor.cacheHits == 1)
        // Without reuse, or with other content, the shard is shipped.
        #expect(try ack(executor, .encoding(.shardBegin, begin(bytes, rows: rows, columns: columns, reuse: nil)), job: 3).chunk == -1)
        var other = labels
        other[0] = 1 - other[0]
        let changed = ShardBytes.dense(DenseMatrix(rows: rows, columns: columns, values: values), labels: other, rows: 0..<rows)
        #expect(try ack(executor, .encoding(.shardBegin, begin(changed, rows: rows, columns: columns, reuse: true)), job: 4).chunk == -1)
    }

    @Test func theCacheKeepsTheMostRecentlyUsedShardsWithinItsBytes() {
        var cache = ShardCache(capacity: 300)
        func key(_ name: String) -> ShardCache.Key {
            ShardCache.Key(ShardBegin(shard: ShardDescriptor(index: 0, firstRow: 0, rows: 1, totalRows: 1, columns: 1, layout: .denseF32),
                                      bytes: 100, chunks: 1, chunkBytes: 100, sha256: name))
        }
        let data = ShardData.dense(DenseMatrix(rows: 1, columns: 1, values: [1]), labels: [0])
        for name in ["a", "b", "c"] { cache.insert(data, size: 100, for: key(name)) }
        #expect(cache.take(key("a")) != nil)                    // a is now the most recent
        cache.insert(data, size: 100, for: key("d"))             // evicts b, the least recently used
        #expect(cache.take(key("b")) == nil && cache.take(key("c")) != nil && cache.take(key("d")) != nil && cache.bytes == 300)
        cache.insert(data, size: 400, for: key("e"))             // larger than the cache: not kept, nothing evicted
        #expect(cache.take(key("e")) == nil && cache.count == 3)
        #expect(ShardCache(capacity: 0).capacity == 0)
    }
}
