import DistributedTraining

/// Shards this worker received, kept by content after their job lets them go, so that a
/// SHARD_BEGIN with `reuse` for the same bytes (every trial of a tuning study, a job run again
/// on the same data) is answered from memory instead of being shipped again.
///
/// Keyed by the shard's SHA-256 (checked when it arrived) with its layout and shape; bounded
/// in bytes, evicting the least recently used shards first. Holding a shard here costs no copy:
/// the job's arrays and the cache's share storage.
struct ShardCache {
    struct Key: Hashable {
        var sha256: String
        var layout: ShardLayout
        var rows: Int
        var columns: Int

        init(_ begin: ShardBegin) {
            sha256 = begin.sha256
            layout = begin.shard.layout
            rows = begin.shard.rows
            columns = begin.shard.columns
        }
    }

    private struct Entry {
        var data: ShardData
        var bytes: Int
        var lastUse: Int
    }

    /// The most bytes of shards kept; 0 keeps none.
    let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var clock = 0
    /// Bytes held now.
    private(set) var bytes = 0
    /// Shards answered from the cache, for logs and tests.
    private(set) var hits = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { entries.count }

    /// The shard with this content, if held; counts as a use.
    mutating func take(_ key: Key) -> ShardData? {
        guard var entry = entries[key] else { return nil }
        clock += 1
        entry.lastUse = clock
        entries[key] = entry
        hits += 1
        return entry.data
    }

    /// Keeps `data` (of `size` bytes on the wire) under `key`, evicting the least recently used
    /// shards to stay within ``capacity``; a shard larger than the capacity is not kept.
    mutating func insert(_ data: ShardData, size: Int, for key: Key) {
        guard size <= capacity else { return }
        if let old = entries.removeValue(forKey: key) { bytes -= old.bytes }
        while bytes + size > capacity, let victim = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            bytes -= victim.value.bytes
            entries[victim.key] = nil
        }
        clock += 1
        entries[key] = Entry(data: data, bytes: size, lastUse: clock)
        bytes += size
    }
}
