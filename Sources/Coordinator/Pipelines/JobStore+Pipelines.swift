import DistributedTraining
import Foundation
import GRDB

/// Pipelines and their runs, in the job store's database (tables `pipeline`, `pipeline_run`).
extension JobStore {
    /// Saves `info` under its spec's name, replacing what was there.
    public func save(_ info: PipelineInfo) throws {
        var stored = info
        stored.lastRun = nil
        try database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO pipeline (name, info) VALUES (?, ?)",
                           arguments: [info.spec.name, try Self.json(stored)])
        }
    }

    /// The pipeline called `name` with its latest run, or `nil`.
    public func pipeline(_ name: String) throws -> PipelineInfo? {
        try database.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT info FROM pipeline WHERE name = ?", arguments: [name]) else { return nil }
            var info = try Self.decode(PipelineInfo.self, text)
            info.lastRun = try String.fetchOne(db, sql: "SELECT info FROM pipeline_run WHERE pipeline = ? ORDER BY id DESC LIMIT 1",
                                               arguments: [name]).map { try Self.decode(PipelineRunInfo.self, $0) }
            return info
        }
    }

    /// Every pipeline by name, each with its latest run.
    public func pipelines() throws -> [PipelineInfo] {
        let names = try database.read { db in try String.fetchAll(db, sql: "SELECT name FROM pipeline ORDER BY name") }
        return try names.compactMap { try pipeline($0) }
    }

    /// Records that pipeline `name` has seen dataset version `version` (only this field: an
    /// apply at the same moment keeps its spec).
    public func markSeen(pipeline name: String, version: Int) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE pipeline SET info = json_set(info, '$.seenVersion', ?) WHERE name = ?", arguments: [version, name])
        }
    }

    /// Records when pipeline `name`'s schedule last started a run.
    public func markScheduled(pipeline name: String, at time: Double) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE pipeline SET info = json_set(info, '$.scheduledAt', ?) WHERE name = ?", arguments: [time, name])
        }
    }

    /// Adds `run` (its id is assigned) and returns it.
    public func insert(_ run: PipelineRunInfo) throws -> PipelineRunInfo {
        try database.write { db in
            var info = run
            try db.execute(sql: "INSERT INTO pipeline_run (pipeline, state, info) VALUES (?, ?, ?)",
                           arguments: [info.pipeline, info.state.rawValue, try Self.json(info)])
            info.id = UInt64(db.lastInsertedRowID)
            try db.execute(sql: "UPDATE pipeline_run SET info = ? WHERE id = ?", arguments: [try Self.json(info), Int64(info.id)])
            return info
        }
    }

    /// Saves `run` over the stored one.
    public func update(_ run: PipelineRunInfo) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE pipeline_run SET state = ?, info = ? WHERE id = ?",
                           arguments: [run.state.rawValue, try Self.json(run), Int64(run.id)])
        }
    }

    /// The run with `id`, or `nil` (ids beyond `Int64.max` name none).
    public func run(_ id: UInt64) throws -> PipelineRunInfo? {
        guard let key = Int64(exactly: id) else { return nil }
        return try database.read { db in
            try String.fetchOne(db, sql: "SELECT info FROM pipeline_run WHERE id = ?", arguments: [key])
                .map { try Self.decode(PipelineRunInfo.self, $0) }
        }
    }

    /// Pipeline `name`'s runs, newest first.
    public func runs(pipeline name: String) throws -> [PipelineRunInfo] {
        try database.read { db in
            try String.fetchAll(db, sql: "SELECT info FROM pipeline_run WHERE pipeline = ? ORDER BY id DESC", arguments: [name])
                .map { try Self.decode(PipelineRunInfo.self, $0) }
        }
    }

    /// Runs not yet ended (queued, running, waiting), oldest first.
    public func activeRuns() throws -> [PipelineRunInfo] {
        try database.read { db in
            try String.fetchAll(db, sql: "SELECT info FROM pipeline_run WHERE state IN ('queued', 'running', 'waiting') ORDER BY id")
                .map { try Self.decode(PipelineRunInfo.self, $0) }
        }
    }
}
