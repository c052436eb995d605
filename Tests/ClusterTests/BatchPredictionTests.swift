import Foundation
import Testing
import TestSupport

/// `trainyard submit predict` on real processes: the workers' output is `trainyard predict`'s,
/// row for row, with the kept columns as written; a worker killed mid-job changes nothing; a
/// bad row fails the job naming its line in the file.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct BatchPredictionTests {
    @Test func workersScoreADatasetAsTheLocalCommandDoesThroughAWorkerKill() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-batch-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func path(_ name: String) -> String { directory + "/" + name }
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "2000", "--seed", "1", "--out", path("train.csv")]).status == 0)
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "120000", "--seed", "2", "--out", path("score.csv")],
                                               timeout: .seconds(60)).status == 0)
        #expect(try await TrainyardProcess.run(["train", "--data", path("train.csv"), "--label", "churned", "--n-trees", "20",
                                                "--out", path("model.tym")], timeout: .seconds(60)).status == 0)

        let cluster = Cluster(bind: "tcp://127.0.0.1:56280")
        cluster.dataRoots = [directory]
        cluster.coordinatorArguments = ["--registry-listen", "127.0.0.1:56281"]
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2", "w3"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2", "w3"]) != nil, "\(cluster.logs)")
        let registry = ["--registry", "http://127.0.0.1:56281"], coordinator = ["--coordinator", cluster.endpoint]
        for step in [["publish", "churn", "--file", path("model.tym")], ["approve", "churn", "1"], ["promote", "churn", "1"]] {
            let done = try await TrainyardProcess.run(["models"] + step + registry)
            #expect(done.status == 0, "\(done.stderr)")
        }
        let local = try await TrainyardProcess.run(["predict", "--model", path("model.tym"), "--data", path("score.csv"), "--threads", "1", "--out", path("local.csv")],
                                                   timeout: .seconds(120))
        #expect(local.status == 0, "\(local.stderr)")

        // Three workers; one is killed once the first slices are back.
        let submit = try TrainyardProcess(["submit", "predict", "--model", "churn", "--data", path("score.csv"), "--workers", "3",
                                           "--keep", "region,tenure_months", "--out", path("batch.csv"), "--json"] + coordinator)
        let started = await eventually(timeout: .seconds(60), every: .milliseconds(20)) { () -> Bool? in
            let shown = try? await TrainyardProcess.run(["jobs", "show", "1", "--json"] + coordinator)
            guard let text = shown?.stdout, let job = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let round = job["round"] as? Int, round >= 1 else { return nil }
            return true
        }
        #expect(started != nil, "no slice came back\n\(cluster.logs)")
        cluster.workers["w2"]?.signal(SIGKILL)
        let status = await submit.waitForExit(timeout: .seconds(180))
        #expect(status == 0, "\(submit.log)\n\(cluster.logs)")
        let shown = try await TrainyardProcess.run(["jobs", "show", "1", "--json"] + coordinator)
        let job = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect(job["state"] as? String == "succeeded" && (job["recoveries"] as? Int ?? 0) >= 1, "\(job)")

        // Row for row: the kept columns as the input wrote them, then `trainyard predict`'s columns (compared off the
        // cooperative pool: 120,000 lines are seconds of work in a debug build).
        let input = try Data(contentsOf: URL(fileURLWithPath: path("score.csv")))
        let expected = try Data(contentsOf: URL(fileURLWithPath: path("local.csv")))
        let batch = try Data(contentsOf: URL(fileURLWithPath: path("batch.csv")))
        let (rows, mismatches, header) = await withCheckedContinuation { (done: CheckedContinuation<(Int, Int, String), Never>) in
            DispatchQueue.global().async {
                let newline = UInt8(ascii: "\n"), comma = UInt8(ascii: ",")
                let inputLines = input.split(separator: newline), expectedLines = expected.split(separator: newline)
                let batchLines = batch.split(separator: newline)
                var mismatches = 0
                for row in 1..<min(batchLines.count, expectedLines.count, inputLines.count) {
                    let fields = inputLines[row].split(separator: comma, omittingEmptySubsequences: false)
                    if batchLines[row] != Data(fields[9] + [comma] + fields[0] + [comma]) + expectedLines[row] { mismatches += 1 }
                }
                let sameCount = batchLines.count == expectedLines.count ? batchLines.count : -1
                done.resume(returning: (sameCount, mismatches, String(decoding: batchLines[0], as: UTF8.self)))
            }
        }
        #expect(rows == 120_001 && header == "region,tenure_months,probability,class", "\(rows) lines, header \(header)")
        #expect(mismatches == 0)

        // A row that cannot be read fails the job, naming its line in the whole file.
        var lines = try String(contentsOfFile: path("score.csv"), encoding: .utf8).split(separator: "\n").prefix(5000).map(String.init)
        lines[4321] = "1,2,3"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path("bad.csv"), atomically: true, encoding: .utf8)
        let bad = try await TrainyardProcess.run(["submit", "predict", "--model", "churn@1", "--data", path("bad.csv"), "--workers", "2",
                                                  "--out", path("bad-out.csv")] + coordinator, timeout: .seconds(60))
        #expect(bad.status != 0 && bad.stderr.contains("bad.csv:4322: expected 11 fields"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path("bad-out.csv")))
        let unknown = try await TrainyardProcess.run(["submit", "predict", "--model", "churn@staging", "--data", path("score.csv"),
                                                      "--out", path("x.csv")] + coordinator)
        #expect(unknown.status != 0 && unknown.stderr.contains("no model 'churn' with alias 'staging'"), "\(unknown.stderr)")
    }
}
