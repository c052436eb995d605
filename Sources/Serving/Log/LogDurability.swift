/// When a prediction's record is safe relative to its response (`trainyard serve --log-durability`).
public enum LogDurability: String, Sendable, CaseIterable {
    /// The response goes out at once; the record is committed with its batch within `flushInterval` (50 ms). A
    /// replica killed with SIGKILL loses the records of at most that last interval — the fast default.
    case batched
    /// The response goes out only once its record is committed to SQLite's write-ahead log (which survives the
    /// replica being killed). Records of concurrent requests share one transaction (group commit). If the log
    /// cannot be written, the request is answered 503 rather than served unlogged.
    case commit
}
