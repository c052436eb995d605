import Foundation
import Serving
import Testing

struct PredictionLogTests {
    func record(_ index: Int, status: Int) -> PredictionRecord {
        PredictionRecord(requestID: "r\(index)", time: 1000 + Double(index), model: "churn", version: index % 2 + 1, endpoint: "/predict",
                         status: status, latencyMicroseconds: 100, rows: status == 200 ? 1 : 0, inputsSHA256: "abc",
                         output: status == 200 ? "[0.5]" : nil, error: status == 200 ? nil : "bad", inputs: nil)
    }

    @Test func everyAppendedRecordIsWrittenAndQueryable() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let log = try PredictionLog(path: path, batchSize: 64)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<500 { log.append(record(worker * 500 + i, status: i % 10 == 0 ? 400 : 200)) }
        }
        log.flush()
        #expect(try log.counts(PredictionQuery()) == ["200": 1800, "400": 200])
        #expect(try log.counts(PredictionQuery(version: 1)).values.reduce(0, +) == 1000)
        let latest = try log.query(PredictionQuery(status: 400, limit: 5))
        #expect(latest.count == 5 && latest.allSatisfy { $0.status == 400 && $0.error == "bad" })
        #expect(try log.query(PredictionQuery(since: 1000 + 1990, limit: 100)).count == 10)
        // Appended after the last flush, written by close().
        log.append(record(5000, status: 503))
        log.close()
        let counts = try #require(try PredictionLog.read(path: path, PredictionQuery(), counts: true) as? [String: Int])
        #expect(counts == ["200": 1800, "400": 200, "503": 1])
    }

    /// The files of a log at `path` (database, WAL, journal), copied to `copy`: the state a replica killed now leaves.
    func snapshot(_ path: String, to copy: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasPrefix(name) {
            try FileManager.default.copyItem(atPath: directory + "/" + file, toPath: copy + file.dropFirst(name.count))
        }
    }

    func journalFiles(_ path: String) throws -> [String] {
        let name = (path as NSString).lastPathComponent
        return try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .filter { $0.hasPrefix(name + ".journal.") }.sorted()
    }

    @Test func underCommitDurabilityAnAppendedRecordSurvivesAKillAndIsLoggedOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("live.sqlite").path
        // A flush interval far longer than the test: nothing reaches SQLite but through the journal's replay.
        let log = try PredictionLog(path: path, durability: .commit, flushInterval: .seconds(3600))
        #expect(log.appendCommitted(record(0, status: 200)))
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 1...50 { _ = log.appendCommitted(record(worker * 50 + i, status: 200)) }
        }
        #expect(try log.counts(PredictionQuery()).isEmpty, "no batch was written yet")

        // Killed now: the next open replays the journal into SQLite and removes it.
        let killed = directory.appendingPathComponent("killed.sqlite").path
        try snapshot(path, to: killed)
        let reopened = try PredictionLog(path: killed, flushInterval: .seconds(3600))
        #expect(try reopened.counts(PredictionQuery()) == ["200": 201])
        #expect(try journalFiles(killed).isEmpty)
        reopened.close()

        // Killed after the batch reached SQLite but before its journal file was removed: replayed once, not twice.
        let journal = try #require(try journalFiles(path).first)
        let kept = try Data(contentsOf: directory.appendingPathComponent(journal))
        log.flush()
        #expect(try log.counts(PredictionQuery()) == ["200": 201])
        let late = directory.appendingPathComponent("late.sqlite").path
        try snapshot(path, to: late)
        try kept.write(to: URL(fileURLWithPath: late + journal.dropFirst("live.sqlite".count)))
        let replayed = try PredictionLog(path: late, flushInterval: .seconds(3600))
        #expect(try replayed.counts(PredictionQuery()) == ["200": 201])
        replayed.close()

        // A torn last record (the power failed mid-write) ends the replay; the records before it are kept.
        #expect(log.appendCommitted(record(500, status: 201)))
        #expect(log.appendCommitted(record(501, status: 202)))
        let torn = directory.appendingPathComponent("torn.sqlite").path
        try snapshot(path, to: torn)
        let tornJournal = try #require(try journalFiles(torn).last)
        let handle = try FileHandle(forUpdating: directory.appendingPathComponent(tornJournal))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 5)
        try handle.close()
        let recovered = try PredictionLog(path: torn, flushInterval: .seconds(3600))
        #expect(try recovered.counts(PredictionQuery()) == ["200": 201, "201": 1])
        recovered.close()

        log.close()
        #expect(try journalFiles(path).isEmpty, "a closed log leaves no journal")
        #expect(try log.counts(PredictionQuery()) == ["200": 201, "201": 1, "202": 1])
        #expect(log.appendCommitted(record(999, status: 200)) == false, "a closed log commits nothing")
    }
}
