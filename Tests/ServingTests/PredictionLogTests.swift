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
}
