import DistributedTraining
import Foundation
import GRDB
import TrainyardML
import Tuning

/// The coordinator's persistent job table (SQLite through GRDB, WAL mode): jobs with
/// their specs and states, each round's progress, and the trees of completed rounds —
/// the checkpoint a job resumes from after a coordinator restart.
///
/// Thread-safe: GRDB's pool serialises writes.
public final class JobStore: Sendable {
    let database: DatabasePool

    /// Opens (creating if needed) the store at `path`.
    public init(path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        database = try DatabasePool(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE job (id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL, info TEXT NOT NULL);
                CREATE TABLE job_round (job_id INTEGER NOT NULL REFERENCES job(id), round INTEGER NOT NULL,
                                        progress TEXT NOT NULL, PRIMARY KEY (job_id, round));
                CREATE TABLE job_tree (job_id INTEGER NOT NULL REFERENCES job(id), position INTEGER NOT NULL,
                                       output_group INTEGER NOT NULL, tree TEXT NOT NULL, PRIMARY KEY (job_id, position));
                """)
        }
        migrator.registerMigration("v2-studies") { db in
            // Trials are jobs run by their study (`parent`), never by the queue; a study's
            // journal (StudyEvent, in order) and its trial table.
            try db.execute(sql: """
                ALTER TABLE job ADD COLUMN parent INTEGER REFERENCES job(id);
                CREATE TABLE study_event (job_id INTEGER NOT NULL REFERENCES job(id), seq INTEGER NOT NULL,
                                          event TEXT NOT NULL, PRIMARY KEY (job_id, seq));
                CREATE TABLE study_trial (job_id INTEGER NOT NULL REFERENCES job(id), trial INTEGER NOT NULL,
                                          info TEXT NOT NULL, PRIMARY KEY (job_id, trial));
                """)
        }
        migrator.registerMigration("v3-pipelines") { db in
            // Pipelines by name (PipelineInfo) and their runs (PipelineRunInfo), the run's state a column for the runner's queries.
            try db.execute(sql: """
                CREATE TABLE pipeline (name TEXT PRIMARY KEY, info TEXT NOT NULL);
                CREATE TABLE pipeline_run (id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL REFERENCES pipeline(name),
                                           state TEXT NOT NULL, info TEXT NOT NULL);
                CREATE INDEX pipeline_run_by_pipeline ON pipeline_run (pipeline, id);
                """)
        }
        try migrator.migrate(database)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }()

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_: T.Type, _ text: String) throws -> T {
        try decoder.decode(T.self, from: Data(text.utf8))
    }

    /// Queues a new job (a study when `study` is given) and returns it with its id.
    public func insert(spec: TrainingSpec, workers: Int, modelName: String? = nil, study: StudyPlan? = nil,
                       publish: Bool? = nil, predict: BatchPrediction? = nil) throws -> JobInfo {
        var info = JobInfo(id: 0, state: .queued, spec: spec, workers: workers, submittedAt: Date().timeIntervalSince1970)
        info.modelName = modelName
        info.publish = publish
        info.predict = predict
        info.study = study
        if study != nil { info.studySummary = StudySummary() }
        return try insert(info)
    }

    /// Adds trial `trial` of study `parent`: a running job the study runs (the queue never picks it).
    public func insertTrial(spec: TrainingSpec, workers: Int, parent: UInt64, trial: Int) throws -> JobInfo {
        var info = JobInfo(id: 0, state: .running, spec: spec, workers: workers, submittedAt: Date().timeIntervalSince1970)
        info.parent = parent
        info.trial = trial
        return try insert(info)
    }

    private func insert(_ job: JobInfo) throws -> JobInfo {
        try database.write { db in
            var info = job
            try db.execute(sql: "INSERT INTO job (state, info, parent) VALUES (?, ?, ?)",
                           arguments: [info.state.rawValue, try Self.json(info), info.parent.map { Int64($0) }])
            info.id = UInt64(db.lastInsertedRowID)
            try db.execute(sql: "UPDATE job SET info = ? WHERE id = ?", arguments: [try Self.json(info), Int64(info.id)])
            return info
        }
    }

    /// Saves `info` over the stored job.
    public func update(_ info: JobInfo) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE job SET state = ?, info = ? WHERE id = ?",
                           arguments: [info.state.rawValue, try Self.json(info), Int64(info.id)])
        }
    }

    /// The job with `id`, or `nil`. Ids come from clients (`JOB_SHOW`, `JOB_CANCEL`): one past
    /// `Int64.max` names no job (they are SQLite row ids) rather than trapping the conversion
    /// (found by `CoordinatorPeerFuzzTests`).
    public func job(_ id: UInt64) throws -> JobInfo? {
        guard let key = Int64(exactly: id) else { return nil }
        return try database.read { db in
            try String.fetchOne(db, sql: "SELECT info FROM job WHERE id = ?", arguments: [key]).map { try Self.decode(JobInfo.self, $0) }
        }
    }

    /// Every job but trials (see ``trials(of:)``), newest first.
    public func all() throws -> [JobInfo] {
        try database.read { db in
            try String.fetchAll(db, sql: "SELECT info FROM job WHERE parent IS NULL ORDER BY id DESC").map { try Self.decode(JobInfo.self, $0) }
        }
    }

    /// The next job to run: a running one (interrupted by a restart) first, else the oldest queued.
    public func next() throws -> JobInfo? {
        try database.read { db in
            try String.fetchOne(db, sql: """
                SELECT info FROM job WHERE state IN ('running', 'queued') AND parent IS NULL
                ORDER BY CASE state WHEN 'running' THEN 0 ELSE 1 END, id LIMIT 1
                """).map { try Self.decode(JobInfo.self, $0) }
        }
    }

    /// Records a completed round: its progress and the trees it added, in one transaction.
    public func appendRound(job: UInt64, progress: TrainingProgress, trees: [(tree: RegressionTree, group: Int)],
                            firstPosition: Int) throws {
        try database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO job_round (job_id, round, progress) VALUES (?, ?, ?)",
                           arguments: [Int64(job), progress.round, try Self.json(progress)])
            for (offset, (tree, group)) in trees.enumerated() {
                try db.execute(sql: "INSERT OR REPLACE INTO job_tree (job_id, position, output_group, tree) VALUES (?, ?, ?, ?)",
                               arguments: [Int64(job), firstPosition + offset, group, try Self.json(tree)])
            }
        }
    }

    /// Rounds from `round` (1-based) on.
    public func history(job: UInt64, from round: Int = 1) throws -> [TrainingProgress] {
        try database.read { db in
            try String.fetchAll(db, sql: "SELECT progress FROM job_round WHERE job_id = ? AND round >= ? ORDER BY round",
                                arguments: [Int64(job), round]).map { try Self.decode(TrainingProgress.self, $0) }
        }
    }

    /// The completed rounds' trees and progress: where a resumed job continues.
    public func checkpoint(job: UInt64) throws -> GBDTTrainer.Checkpoint {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT output_group, tree FROM job_tree WHERE job_id = ? ORDER BY position",
                                        arguments: [Int64(job)])
            let history = try String.fetchAll(db, sql: "SELECT progress FROM job_round WHERE job_id = ? ORDER BY round",
                                              arguments: [Int64(job)]).map { try Self.decode(TrainingProgress.self, $0) }
            return GBDTTrainer.Checkpoint(trees: try rows.map { try Self.decode(RegressionTree.self, $0["tree"]) },
                                          treeGroups: rows.map { $0["output_group"] }, history: history)
        }
    }

    // MARK: studies

    /// Appends `event` to study `job`'s journal.
    public func append(_ event: StudyEvent, study job: UInt64) throws {
        try database.write { db in
            let next = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), -1) + 1 FROM study_event WHERE job_id = ?",
                                        arguments: [Int64(job)]) ?? 0
            try db.execute(sql: "INSERT INTO study_event (job_id, seq, event) VALUES (?, ?, ?)",
                           arguments: [Int64(job), next, try Self.json(event)])
        }
    }

    /// Study `job`'s journal, in order.
    public func events(study job: UInt64) throws -> [StudyEvent] {
        try database.read { db in
            try String.fetchAll(db, sql: "SELECT event FROM study_event WHERE job_id = ? ORDER BY seq", arguments: [Int64(job)])
                .map { try Self.decode(StudyEvent.self, $0) }
        }
    }

    /// Saves a trial's row of study `job`'s trial table.
    public func save(_ trial: TrialInfo, study job: UInt64) throws {
        try database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO study_trial (job_id, trial, info) VALUES (?, ?, ?)",
                           arguments: [Int64(job), trial.trial, try Self.json(trial)])
        }
    }

    /// Study `job`'s trials, in trial order.
    public func trials(study job: UInt64) throws -> [TrialInfo] {
        try database.read { db in
            try String.fetchAll(db, sql: "SELECT info FROM study_trial WHERE job_id = ? ORDER BY trial", arguments: [Int64(job)])
                .map { try Self.decode(TrialInfo.self, $0) }
        }
    }

    /// Top-level jobs (and studies) by state, trials by state, and rounds completed: for metrics.
    public func counts() throws -> (jobs: [JobState: Int], trials: [TrialState: Int], rounds: Int) {
        try database.read { db in
            var jobs: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job WHERE parent IS NULL GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { jobs[state] = row["n"] }
            }
            var trials: [TrialState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT json_extract(info, '$.state') AS state, COUNT(*) AS n FROM study_trial GROUP BY 1") {
                if let text: String = row["state"], let state = TrialState(rawValue: text) { trials[state] = row["n"] }
            }
            let rounds = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job_round") ?? 0
            return (jobs, trials, rounds)
        }
    }
}
