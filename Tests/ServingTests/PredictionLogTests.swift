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

    @Test func underCommitDurabilityEachAppendReturnsOnceItsRecordIsOnDisk() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        // A flush interval far longer than the test: only the commit path can make records visible in time.
        let log = try PredictionLog(path: path, durability: .commit, flushInterval: .seconds(3600))
        let reader = try PredictionLog(path: path, flushInterval: .seconds(3600))
        defer { reader.close() }
        #expect(await log.appendCommitted(record(0, status: 200)))
        #expect(try reader.counts(PredictionQuery()) == ["200": 1])
        // Concurrent appends share commits and each returns committed.
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 1...200 { group.addTask { await log.appendCommitted(self.record(i, status: 200)) } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 200 && results.allSatisfy { $0 })
        #expect(try reader.counts(PredictionQuery()) == ["200": 201])
        log.close()
        #expect(await log.appendCommitted(record(999, status: 200)) == false, "a closed log commits nothing")
    }
}
