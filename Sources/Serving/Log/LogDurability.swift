/// When a prediction's record is safe relative to its response (`trainyard serve --log-durability`).
public enum LogDurability: String, Sendable, CaseIterable {
    /// The response goes out at once; the record is committed with its batch within `flushInterval` (50 ms). A
    /// replica killed with SIGKILL loses the records of at most that last interval — the fast default.
    case batched
    /// The response goes out only once its record is written to the log's journal (one `write(2)` to an
    /// append-only file beside it, which survives the replica being killed, as SQLite's WAL survives it at
    /// `synchronous=NORMAL`; neither survives a power failure). Journaled records reach SQLite with the next batch,
    /// and the replica's next start replays what a kill left. If the journal cannot be written, the request is
    /// answered 503 rather than served unlogged.
    case commit
}
