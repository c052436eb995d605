import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The append-only prediction log of one replica: SQLite (WAL) through GRDB.
///
/// Requests only append to an in-memory batch (one lock, no I/O); a dedicated writer thread
/// commits the batch in one transaction every `flushInterval` or when `batchSize` records are
/// waiting, and ``close()`` writes what is left on shutdown. If the disk falls so far behind
/// that `maxPending` records wait, new records are dropped and counted
/// (`trainyard_prediction_log_dropped_total`) rather than growing memory without bound.
///
/// With ``LogDurability/commit``, ``appendCommitted(_:)`` returns only once its record is committed: the writer
/// commits as soon as records wait (no interval), so the records that arrive during one commit form the next
/// (group commit).
public final class PredictionLog: @unchecked Sendable {
    public let path: String
    private let database: DatabasePool
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [PredictionRecord] = []
    private var writing = false
    private var stopping = false
    private var stopped = false
    /// The callers of ``appendCommitted(_:)`` whose records are in `pending`: told of the commit of the batch that
    /// takes them.
    private var pendingWaiters: [CheckedContinuation<Bool, Never>] = []
    public let durability: LogDurability
    private let batchSize: Int
    private let maxPending: Int
    private let flushInterval: TimeInterval
    private let metrics: ServingMetrics?

    /// Opens (creating if needed) the log at `path` and starts its writer thread.
    public init(path: String, durability: LogDurability = .batched, batchSize: Int = 512, maxPending: Int = 1_000_000,
                flushInterval: Duration = .milliseconds(50), metrics: ServingMetrics? = nil) throws {
        self.path = path
        self.durability = durability
        self.batchSize = batchSize
        self.maxPending = maxPending
        self.flushInterval = Double(flushInterval.components.seconds) + Double(flushInterval.components.attoseconds) / 1e18
        self.metrics = metrics
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        database = try Self.open(path)
        let thread = Thread { [unowned self] in self.writeLoop() }
        thread.name = "prediction-log"
        thread.start()
    }

    static func open(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let database = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE prediction (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, time REAL NOT NULL,
                                         model TEXT, version INTEGER, endpoint TEXT NOT NULL, status INTEGER NOT NULL,
                                         latency_us INTEGER NOT NULL, rows INTEGER NOT NULL, inputs_sha256 TEXT NOT NULL,
                                         output TEXT, error TEXT, inputs TEXT);
                CREATE INDEX prediction_time ON prediction (time);
                CREATE INDEX prediction_model ON prediction (model, version, time);
                """)
        }
        // Rows with categories the model was not trained with, by feature: a JSON object, NULL when none.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: "ALTER TABLE prediction ADD COLUMN unseen_categories TEXT")
        }
        try migrator.migrate(database)
        return database
    }

    /// Queues a record; never blocks on I/O.
    public func append(_ record: PredictionRecord) {
        condition.lock()
        guard !stopped, pending.count < maxPending else {
            condition.unlock()
            metrics?.logDropped.increment()
            return
        }
        pending.append(record)
        if pending.count >= batchSize || durability == .commit { condition.signal() }
        let count = pending.count
        condition.unlock()
        metrics?.logPending.set(to: Double(count))
    }

    /// Queues a record and returns once it is committed: `true`, or `false` if the log could not be written (or is
    /// closed). The caller's task is suspended, not its thread.
    public func appendCommitted(_ record: PredictionRecord) async -> Bool {
        await withCheckedContinuation { continuation in enqueue(record, resuming: continuation) }
    }

    /// Queues `record` and its waiter together, so the batch that takes the record resumes the waiter; resumes it at
    /// once with `false` if the log is closed.
    private func enqueue(_ record: PredictionRecord, resuming continuation: CheckedContinuation<Bool, Never>) {
        condition.lock()
        guard !stopped else {
            condition.unlock()
            return continuation.resume(returning: false)
        }
        pending.append(record)
        pendingWaiters.append(continuation)
        condition.signal()
        condition.unlock()
    }

    /// Waits until every record appended so far is committed.
    public func flush() {
        condition.lock()
        while !pending.isEmpty || writing {
            condition.signal()
            condition.wait(until: Date().addingTimeInterval(0.01))
        }
        condition.unlock()
    }

    /// Writes what is pending and stops the writer; later appends are dropped.
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    private func writeLoop() {
        var busy = false
        while true {
            condition.lock()
            if durability == .commit {
                if pending.isEmpty && !stopping && busy {
                    // Under load, the next records arrive within microseconds: yielding for a moment instead of
                    // sleeping spares them the wake-up of a sleeping thread (milliseconds on a saturated machine).
                    condition.unlock()
                    let until = ContinuousClock.now + .microseconds(500)
                    while ContinuousClock.now < until {
                        sched_yield()
                        condition.lock()
                        let waiting = !pending.isEmpty || stopping
                        condition.unlock()
                        if waiting { break }
                    }
                    condition.lock()
                }
                while pending.isEmpty && !stopping { condition.wait() }
            } else if pending.count < batchSize && !stopping {
                _ = condition.wait(until: Date().addingTimeInterval(flushInterval))
            }
            let batch = pending
            let waiters = pendingWaiters
            busy = !batch.isEmpty
            pending.removeAll(keepingCapacity: true)
            pendingWaiters.removeAll(keepingCapacity: true)
            let finishing = stopping
            writing = !batch.isEmpty
            condition.unlock()
            var written = true
            if !batch.isEmpty {
                written = write(batch)
                metrics?.logPending.set(to: 0)
            }
            for waiter in waiters { waiter.resume(returning: written) }
            condition.lock()
            writing = false
            condition.broadcast()
            if finishing && pending.isEmpty {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
        }
    }

    /// Commits `batch` in one transaction, retrying; false if it was given up (and counted as dropped).
    @discardableResult
    private func write(_ batch: [PredictionRecord]) -> Bool {
        for attempt in 1...5 {
            do {
                try database.write { db in
                    let statement = try db.cachedStatement(sql: """
                        INSERT INTO prediction (request_id, time, model, version, endpoint, status, latency_us, rows, inputs_sha256, output, error, inputs,
                                                unseen_categories)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                    for r in batch {
                        try statement.execute(arguments: [r.requestID, r.time, r.model, r.version, r.endpoint, r.status, r.latencyMicroseconds,
                                                          r.rows, r.inputsSHA256, r.output, r.error, r.inputs, Self.json(r.unseenCategories)])
                    }
                }
                return true
            } catch {
                FileHandle.standardError.write(Data("prediction log: cannot write \(batch.count) records to \(path) (attempt \(attempt)): \(error)\n".utf8))
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
        }
        metrics?.logDropped.increment(by: Int64(batch.count))
        return false
    }

    /// Records matching `query`, newest first. Call ``flush()`` first to include the latest.
    public func query(_ query: PredictionQuery) throws -> [PredictionRecord] {
        try Self.query(database, query)
    }

    /// Counts by HTTP status of the records matching `query` (its limit is ignored).
    public func counts(_ query: PredictionQuery) throws -> [String: Int] {
        try Self.counts(database, query)
    }

    /// Reads a log file directly (e.g. from `trainyard predictions query --db`).
    public static func read(path: String, _ query: PredictionQuery, counts: Bool) throws -> Any {
        guard FileManager.default.fileExists(atPath: path) else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        let database = try open(path)
        return counts ? try Self.counts(database, query) as Any : try Self.query(database, query) as Any
    }

    private static func filter(_ query: PredictionQuery) -> (String, StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let model = query.model { clauses.append("model = ?"); arguments += [model] }
        if let version = query.version { clauses.append("version = ?"); arguments += [version] }
        if let status = query.status { clauses.append("status = ?"); arguments += [status] }
        if let since = query.since { clauses.append("time >= ?"); arguments += [since] }
        return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), arguments)
    }

    static func query(_ database: DatabasePool, _ query: PredictionQuery) throws -> [PredictionRecord] {
        let (whereClause, arguments) = filter(query)
        let limit = max(1, min(query.limit, 10_000))
        return try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM prediction \(whereClause) ORDER BY id DESC LIMIT \(limit)", arguments: arguments).map {
                PredictionRecord(requestID: $0["request_id"], time: $0["time"], model: $0["model"], version: $0["version"], endpoint: $0["endpoint"],
                                 status: $0["status"], latencyMicroseconds: $0["latency_us"], rows: $0["rows"], inputsSHA256: $0["inputs_sha256"],
                                 output: $0["output"], error: $0["error"], inputs: $0["inputs"],
                                 unseenCategories: ($0["unseen_categories"] as String?).flatMap {
                                     try? JSONDecoder().decode([String: Int].self, from: Data($0.utf8))
                                 })
            }
        }
    }

    /// `{"feature": rows, …}` with sorted keys, or nil.
    static func json(_ unseen: [String: Int]?) -> String? {
        guard let unseen, !unseen.isEmpty else { return nil }
        return "{" + unseen.sorted { $0.key < $1.key }.map { PredictionOutput.string($0.key) + ":" + String($0.value) }.joined(separator: ",") + "}"
    }

    static func counts(_ database: DatabasePool, _ query: PredictionQuery) throws -> [String: Int] {
        let (whereClause, arguments) = filter(query)
        return try database.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM prediction \(whereClause) GROUP BY status",
                                                              arguments: arguments).map { (String($0["status"] as Int), $0["n"] as Int) })
        }
    }
}
