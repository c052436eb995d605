/// How a shard's rows are laid out in its bytes (all little-endian).
public enum ShardLayout: String, Sendable, Codable {
    /// `labels f32[rows]`, then `values f32[rows × columns]` row-major (NaN = missing).
    case denseF32 = "dense-f32"
    /// `labels f32[rows]`, `rowStarts i64[rows + 1]`, `indices i32[nnz]`, `values f32[nnz]`.
    case csrF32 = "csr-f32"
}

/// Which rows a shard holds and how they are encoded.
public struct ShardDescriptor: Sendable, Codable, Equatable {
    /// The shard's number within the job (0-based).
    public var index: Int
    /// Global index of its first row, and the dataset's row count.
    public var firstRow: Int
    public var rows: Int
    public var totalRows: Int
    public var columns: Int
    public var layout: ShardLayout

    public init(index: Int, firstRow: Int, rows: Int, totalRows: Int, columns: Int, layout: ShardLayout) {
        self.index = index
        self.firstRow = firstRow
        self.rows = rows
        self.totalRows = totalRows
        self.columns = columns
        self.layout = layout
    }

    /// Balanced, deterministic row ranges: shard `k` of `count` holds rows
    /// `⌊k·n/count⌋ ..< ⌊(k+1)·n/count⌋`.
    public static func rows(shard k: Int, of count: Int, totalRows n: Int) -> Range<Int> {
        (k * n / count)..<((k + 1) * n / count)
    }
}

/// SHARD_BEGIN: a shard of `bytes` bytes follows in `chunks` SHARD_CHUNKs of `chunkBytes`
/// (the last may be shorter); `sha256` is the digest of all its bytes.
public struct ShardBegin: Sendable, Codable, Equatable {
    public var shard: ShardDescriptor
    public var bytes: Int
    public var chunks: Int
    public var chunkBytes: Int
    public var sha256: String
    /// Whether the worker may answer from shards it kept (the same `sha256`, layout, rows and
    /// columns): it then replies SHARD_ACK with `chunk` = `chunks`, holds the shard at once, and
    /// nothing more is sent. Absent: the shard is always shipped.
    public var reuse: Bool?

    public init(shard: ShardDescriptor, bytes: Int, chunks: Int, chunkBytes: Int, sha256: String, reuse: Bool? = nil) {
        self.shard = shard
        self.bytes = bytes
        self.chunks = chunks
        self.chunkBytes = chunkBytes
        self.sha256 = sha256
        self.reuse = reuse
    }
}

/// SHARD_CHUNK: chunk `chunk` of shard `shard` in one `u8` payload frame, with its digest.
public struct ShardChunk: Sendable, Codable, Equatable {
    public var shard: Int
    public var chunk: Int
    public var sha256: String

    public init(shard: Int, chunk: Int, sha256: String) {
        self.shard = shard
        self.chunk = chunk
        self.sha256 = sha256
    }
}

/// SHARD_ACK: the worker has chunk `chunk` (−1 acknowledges SHARD_BEGIN; `chunks`
/// acknowledges SHARD_END: the whole shard verified and decoded). SHARD_END carries `{shard}` only.
public struct ShardAck: Sendable, Codable, Equatable {
    public var shard: Int
    public var chunk: Int

    public init(shard: Int, chunk: Int) {
        self.shard = shard
        self.chunk = chunk
    }
}
