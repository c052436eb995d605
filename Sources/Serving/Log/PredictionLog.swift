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
/// With ``LogDurability/commit``, ``appendCommitted(_:)`` returns only once its record is in the log's journal
/// (``PredictionJournal``: one `write(2)` to an append-only file, which survives the replica being killed); the writer
/// copies journaled records into SQLite in the same batches, and opening a log replays what a killed replica left in
/// its journal.
public final class PredictionLog: @unchecked Sendable {
    public let path: String
    private let database: DatabasePool
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [PredictionRecord] = []
    private var writing = false
    private var stopping = false
    private var stopped = false
    /// Under ``LogDurability/commit``: where each record goes before ``appendCommitted(_:)`` returns.
    private let journal: PredictionJournal?
    /// Journal generations whose records are in SQLite and whose files are removed: forgotten by the next batch.
    private var appliedGenerations: [UInt64] = []
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
        self.flushInterval = flushInterval / .seconds(1)
        self.metrics = metrics
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        database = try Self.open(path)
        let next = try Self.replayJournal(database, logPath: path)
        journal = durability == .commit ? try PredictionJournal(logPath: path, first: next) : nil
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
        // Journal generations (``PredictionJournal``) whose records are committed here.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: "CREATE TABLE journal_applied (generation INTEGER PRIMARY KEY)")
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

    /// Journals a record and queues it: `true` once the journal has it (one `write(2)` of ~1 KB), `false` if it
    /// could not be written, the backlog is full or the log is closed — or the log runs without a journal (batched).
    public func appendCommitted(_ record: PredictionRecord) -> Bool {
        let frame = PredictionJournal.frame(record)
        condition.lock()
        guard !stopped, let journal, pending.count < maxPending else {
            condition.unlock()
            return false
        }
        do {
            try journal.append(frame)
        } catch {
            condition.unlock()
            FileHandle.standardError.write(Data("prediction log: \(error)\n".utf8))
            return false
        }
        pending.append(record)
        if pending.count >= batchSize { condition.signal() }
        condition.unlock()
        return true
    }

    /// Waits until every record appended so far is committed.
    public func flush() {
        condition.lock()
        while !pending.isEmpty || writing {
            condition.signal()
            _ = condition.wait(until: Date().addingTimeInterval(0.01))
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
        while true {
            condition.lock()
            if pending.count < batchSize && !stopping {
                _ = condition.wait(until: Date().addingTimeInterval(flushInterval))
            }
            var generation: UInt64?
            if let journal, !pending.isEmpty {
                // The batch is exactly the journal's current generation: later records go to the next file.
                do {
                    generation = try journal.rotate()
                } catch {
                    FileHandle.standardError.write(Data("prediction log: \(error); retrying\n".utf8))
                    condition.unlock()
                    Thread.sleep(forTimeInterval: 0.2)
                    continue
                }
            }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            let forget = appliedGenerations
            appliedGenerations.removeAll()
            let finishing = stopping
            writing = !batch.isEmpty
            condition.unlock()
            if !batch.isEmpty {
                let written = write(batch, generation: generation, forgetting: forget)
                condition.lock()
                if !written {
                    // A batch given up keeps its journal file (the next start replays it) and forgets nothing.
                    appliedGenerations.append(contentsOf: forget)
                } else if let generation, let journal {
                    journal.remove(generation)
                    appliedGenerations.append(generation)
                }
                condition.unlock()
                metrics?.logPending.set(to: 0)
            }
            condition.lock()
            writing = false
            condition.broadcast()
            if finishing && pending.isEmpty {
                stopped = true
                if let journal { journal.remove(journal.generation) }
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
        }
    }

    /// Commits `batch` in one transaction, retrying — with its journal `generation`, marked applied, and the
    /// generations whose files are gone forgotten; false if it was given up (and counted as dropped).
    @discardableResult
    private func write(_ batch: [PredictionRecord], generation: UInt64? = nil, forgetting: [UInt64] = []) -> Bool {
        for attempt in 1...5 {
            do {
                try database.write { db in
                    try Self.insert(batch, into: db)
                    if let generation { try db.execute(sql: "INSERT OR IGNORE INTO journal_applied (generation) VALUES (?)", arguments: [generation]) }
                    for old in forgetting { try db.execute(sql: "DELETE FROM journal_applied WHERE generation = ?", arguments: [old]) }
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

    static func insert(_ batch: [PredictionRecord], into db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO prediction (request_id, time, model, version, endpoint, status, latency_us, rows, inputs_sha256, output, error, inputs,
                                    unseen_categories)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for r in batch {
            try statement.execute(arguments: [r.requestID, r.time, r.model, r.version, r.endpoint, r.status, r.latencyMicroseconds,
                                              r.rows, r.inputsSHA256, r.output, r.error, r.inputs, json(r.unseenCategories)])
        }
    }

    /// Copies into SQLite the records of every journal file a killed replica left (unless its generation was
    /// committed before the kill), removes the files and forgets the generations; returns the first generation the
    /// new journal may use.
    static func replayJournal(_ database: DatabasePool, logPath: String) throws -> UInt64 {
        for (generation, path) in PredictionJournal.leftovers(logPath: logPath) {
            try database.write { db in
                let applied = try Int.fetchOne(db, sql: "SELECT 1 FROM journal_applied WHERE generation = ?", arguments: [generation]) != nil
                if !applied {
                    try insert(PredictionJournal.records(at: path), into: db)
                    try db.execute(sql: "INSERT INTO journal_applied (generation) VALUES (?)", arguments: [generation])
                }
            }
            unlink(path)
        }
        return try database.write { db in
            let last = try Int64.fetchOne(db, sql: "SELECT MAX(generation) FROM journal_applied") ?? 0
            try db.execute(sql: "DELETE FROM journal_applied")
            return UInt64(last) + 1
        }
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
