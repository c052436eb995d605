import Crypto
import DistributedTraining
import Testing
import TrainyardML
import ZeroMQ
@testable import Worker

/// Shards cut into chunks on the coordinator's side (``ShardBytes``) and reassembled on the
/// worker's (``ShardReceiver``): every chunk size gives back the shard, and a chunk that is
/// corrupted, out of order, missing or of the wrong size is refused.
struct ShardReceiverTests {
    var random = SplitMix64(seed: 11)

    mutating func denseShard(rows: Int, columns: Int) -> (DenseMatrix, [Float]) {
        let values = (0..<rows * columns).map { _ in Float(random.next() % 1000) / 7 }
        let labels = (0..<rows).map { _ in Float(random.next() % 2) }
        return (DenseMatrix(rows: rows, columns: columns, values: values), labels)
    }

    /// The documented layouts, built independently of ``ShardBytes``: labels, then the values
    /// row-major (dense); labels, row starts from 0 as i64, column indices as i32, values (CSR).
    static func layout(_ arrays: [Any]) -> [UInt8] {
        var bytes: [UInt8] = []
        for array in arrays {
            switch array {
            case let floats as [Float]: floats.withUnsafeBytes { bytes.append(contentsOf: $0) }
            case let longs as [Int64]: longs.withUnsafeBytes { bytes.append(contentsOf: $0) }
            case let ints as [Int32]: ints.withUnsafeBytes { bytes.append(contentsOf: $0) }
            default: Issue.record("no such array type in a layout")
            }
        }
        return bytes
    }

    /// Cuts `bytes` into chunks of `chunkBytes` and feeds them to a receiver, as the shipper does.
    func ship(_ bytes: ShardBytes, _ descriptor: ShardDescriptor, chunkBytes: Int) throws -> ShardData {
        let chunks = (bytes.count + chunkBytes - 1) / chunkBytes
        var receiver = try ShardReceiver(ShardBegin(shard: descriptor, bytes: bytes.count, chunks: chunks, chunkBytes: chunkBytes,
                                                    sha256: bytes.sha256()))
        for chunk in 0..<chunks {
            let range = chunk * chunkBytes..<min(bytes.count, (chunk + 1) * chunkBytes)
            try receiver.receive(ShardChunk(shard: descriptor.index, chunk: chunk, sha256: bytes.sha256(of: range)),
                                 bytes: bytes.frame(range))
        }
        return try receiver.finish()
    }

    @Test mutating func slicesOfTheMatricesEqualTheirCopiesAndArriveWhole() throws {
        let (features, labels) = denseShard(rows: 37, columns: 5)
        for rows in [0..<37, 3..<20, 36..<37] {
            let bytes = ShardBytes.dense(features, labels: labels, rows: rows)
            let expected = Self.layout([Array(labels[rows]), features.rows(rows).values])
            #expect(bytes.bytes == expected)
            #expect(bytes.sha256() == SHA256.hash(data: expected).hex)
            let descriptor = ShardDescriptor(index: 1, firstRow: rows.lowerBound, rows: rows.count, totalRows: 37, columns: 5,
                                             layout: .denseF32)
            // Chunks inside one array, straddling labels and values, one byte, all at once.
            for chunkBytes in [1, 3, 4, 64, 100, bytes.count + 5] {
                guard case .dense(let m, let l) = try ship(bytes, descriptor, chunkBytes: chunkBytes) else {
                    Issue.record("a dense shard came back in another layout")
                    continue
                }
                #expect(m == features.rows(rows) && l == Array(labels[rows]), "rows \(rows), chunks of \(chunkBytes)")
            }
        }
    }

    @Test mutating func sparseShardsArriveWhole() throws {
        let rows = 40, columns = 9
        var starts = [0], indices: [Int32] = [], values: [Float] = []
        for _ in 0..<rows {
            for column in 0..<columns where random.next() % 3 == 0 {
                indices.append(Int32(column))
                values.append(Float(random.next() % 100))
            }
            starts.append(indices.count)
        }
        let matrix = SparseMatrix(rows: rows, columns: columns, rowStarts: starts, indices: indices, values: values)
        let labels = (0..<rows).map { Float($0 % 2) }
        let range = 7..<31
        let bytes = ShardBytes.sparse(matrix, labels: labels, rows: range)
        let first = starts[range.lowerBound], last = starts[range.upperBound]
        let expectedStarts = starts[range.lowerBound...range.upperBound].map { $0 - first }
        let expected = SparseMatrix(rows: range.count, columns: columns, rowStarts: expectedStarts,
                                    indices: Array(indices[first..<last]), values: Array(values[first..<last]))
        #expect(bytes.bytes == Self.layout([Array(labels[range]), expectedStarts.map(Int64.init), expected.indices, expected.values]))
        let descriptor = ShardDescriptor(index: 0, firstRow: 7, rows: range.count, totalRows: rows, columns: columns, layout: .csrF32)
        for chunkBytes in [5, 32, 1000] {
            guard case .sparse(let m, let l) = try ship(bytes, descriptor, chunkBytes: chunkBytes) else {
                Issue.record("a sparse shard came back in another layout")
                continue
            }
            #expect(m == expected && l == Array(labels[range]))
        }
    }

    @Test mutating func badChunksAreRefusedAndAResentChunkIsIgnored() throws {
        let (features, labels) = denseShard(rows: 10, columns: 3)
        let bytes = ShardBytes.dense(features, labels: labels, rows: 0..<10)  // 160 bytes
        let descriptor = ShardDescriptor(index: 0, firstRow: 0, rows: 10, totalRows: 10, columns: 3, layout: .denseF32)
        let begin = ShardBegin(shard: descriptor, bytes: bytes.count, chunks: 2, chunkBytes: 100, sha256: bytes.sha256())
        let first = 0..<100, second = 100..<160
        func chunk(_ index: Int, _ range: Range<Int>) -> ShardChunk {
            ShardChunk(shard: 0, chunk: index, sha256: bytes.sha256(of: range))
        }

        var receiver = try ShardReceiver(begin)
        #expect(throws: ShardError.outOfOrder("expected chunk 0, got 1")) {
            try receiver.receive(chunk(1, second), bytes: bytes.frame(second))
        }
        var corrupted = bytes.bytes
        corrupted[5] ^= 1
        #expect {
            try receiver.receive(chunk(0, first), bytes: ZMQFrame(bytes: corrupted[first]))
        } throws: { error in
            guard case ShardError.checksumMismatch(chunk: 0, _, _) = error else { return false }
            return true
        }
        #expect {
            try receiver.receive(chunk(0, first), bytes: bytes.frame(0..<99))
        } throws: { ($0 as? ShardError).map { "\($0)" }?.contains("has 99 bytes, expected 100") ?? false }
        #expect(throws: ShardError.outOfOrder("SHARD_END after 0 of 2 chunks")) { _ = try receiver.finish() }

        try receiver.receive(chunk(0, first), bytes: bytes.frame(first))
        try receiver.receive(chunk(0, first), bytes: bytes.frame(first))  // resent after a lost ack
        try receiver.receive(chunk(1, second), bytes: bytes.frame(second))
        guard case .dense(let m, let l) = try receiver.finish() else { return }
        #expect(m == features && l == labels)

        // A shard whose whole digest differs from SHARD_BEGIN's, though every chunk matched its own.
        var wrong = try ShardReceiver(ShardBegin(shard: descriptor, bytes: bytes.count, chunks: 2, chunkBytes: 100,
                                                 sha256: String(repeating: "0", count: 64)))
        try wrong.receive(chunk(0, first), bytes: bytes.frame(first))
        try wrong.receive(chunk(1, second), bytes: bytes.frame(second))
        #expect {
            _ = try wrong.finish()
        } throws: { error in
            guard case ShardError.checksumMismatch(chunk: nil, _, _) = error else { return false }
            return true
        }
    }

    @Test func aDenseShardOfTheWrongSizeIsRefusedAtItsBeginning() {
        let descriptor = ShardDescriptor(index: 0, firstRow: 0, rows: 10, totalRows: 10, columns: 3, layout: .denseF32)
        #expect {
            _ = try ShardReceiver(ShardBegin(shard: descriptor, bytes: 156, chunks: 1, chunkBytes: 156, sha256: ""))
        } throws: { ($0 as? ShardError).map { "\($0)" }?.contains("not 10 labels and 10 × 3 values") ?? false }
    }
}
