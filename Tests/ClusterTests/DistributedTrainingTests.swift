import Foundation
import Testing
import TestSupport
import TrainyardML

/// Distributed training with real coordinator and worker processes on loopback: models
/// equal to local training for any worker count, and the same model after workers or the
/// coordinator are killed mid-job.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct DistributedTrainingTests {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-dist-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A seeded churn dataset of `rows` rows (categorical, numeric and missing values).
    static func dataset(rows: Int) async throws -> String {
        let path = directory.appendingPathComponent("churn-\(rows).csv").path
        if !FileManager.default.fileExists(atPath: path) {
            let result = try await TrainyardProcess.run(["data", "synth", "--rows", "\(rows)", "--out", path])
            #expect(result.status == 0, "\(result.stderr)")
        }
        return path
    }

    /// Trains locally with `arguments` and returns the model.
    static func local(_ arguments: [String]) async throws -> TrainyardModel {
        let out = directory.appendingPathComponent("local-\(UUID().uuidString.prefix(8)).model").path
        let result = try await TrainyardProcess.run(["train", "--out", out] + arguments, timeout: .seconds(120))
        try #require(result.status == 0, "local training failed: \(result.stderr)")
        return try ModelFile.read(path: out)
    }

    /// Submits, waits, and returns the final job as `jobs watch --json` reports it.
    static func submit(_ cluster: Cluster, workers: Int, _ arguments: [String],
                       timeout: Duration = .seconds(180)) async throws -> [String: Any] {
        let result = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--workers", "\(workers)",
                                                     "--wait", "--json"] + arguments, timeout: timeout)
        return try lastJob(result.stdout, context: "\(result.stderr)\n\(cluster.logs)")
    }

    static func lastJob(_ stdout: String, context: String) throws -> [String: Any] {
        let last = try #require(stdout.split(separator: "\n").last, "no output: \(context)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(last)")
        return try #require(object["job"] as? [String: Any], "\(last)\n\(context)")
    }

    /// The trained part of a model: everything but when, by which software and job.
    static func trained(_ model: TrainyardModel) -> TrainyardModel {
        var copy = model
        copy.training.createdAt = ""
        copy.training.software = ""
        copy.training.jobID = nil
        return copy
    }

    static func model(of job: [String: Any]) throws -> TrainyardModel {
        try ModelFile.read(path: try #require(job["model"] as? String, "job has no model: \(job)"))
    }

    @Test func treesOnOneTwoAndThreeWorkersEqualTheLocalModel() async throws {
        let data = try await Self.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "churned", "--n-trees", "12", "--valid-fraction", "0.2", "--gamma", "0.2"]
        let local = try await Self.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56201")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2", "w3"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2", "w3"]) != nil, "\(cluster.logs)")
        var received: [Int: Int] = [:]
        for workers in 1...3 {
            let job = try await Self.submit(cluster, workers: workers, arguments)
            received[workers] = job["bytes_received"] as? Int
            #expect(job["state"] as? String == "succeeded", "\(job)\n\(cluster.logs)")
            let distributed = try Self.model(of: job)
            #expect(Self.trained(distributed) == Self.trained(local), "\(workers) workers")
            #expect(distributed.training.jobID != nil)
            // Every training row is shipped once: f32 label and features per row.
            guard case .gbdt(let trees) = distributed.estimator else { Issue.record("not a tree model"); continue }
            let rowBytes = 4 * (1 + trees.featureCount)
            #expect(job["shard_bytes"] as? Int == distributed.training.trainRows * rowBytes, "\(job)")
        }
        // One worker grows whole trees (TREE_GROW) and sends no histograms back.
        let one = try #require(received[1]), two = try #require(received[2])
        #expect(one * 4 < two, "bytes received: 1 worker \(one), 2 workers \(two)")
    }

    /// A worker that implements only the per-level protocol answers TREE_GROW with
    /// `unsupported_message`: the coordinator grows the trees level by level instead, with
    /// the same model.
    @Test func aWorkerWithoutTreeGrowGetsTheSameModelLevelByLevel() async throws {
        let data = try await Self.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "churned", "--n-trees", "6", "--subsample", "0.9"]
        let local = try await Self.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56203")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("old", extra: ["--per-level-only"])
        try #require(await cluster.waitUntilAlive(["old"]) != nil, "\(cluster.logs)")
        let job = try await Self.submit(cluster, workers: 1, arguments)
        #expect(job["state"] as? String == "succeeded", "\(job)\n\(cluster.logs)")
        #expect(Self.trained(try Self.model(of: job)) == Self.trained(local))
        #expect(cluster.logs.contains("does not implement TREE_GROW"), "\(cluster.logs)")
    }

    @Test func logisticRegressionOnThreeWorkersEqualsTheLocalModel() async throws {
        let data = try await Self.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "churned", "--model", "linear"]
        let local = try await Self.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56202")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2", "w3"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2", "w3"]) != nil, "\(cluster.logs)")
        let job = try await Self.submit(cluster, workers: 3, arguments)
        #expect(job["state"] as? String == "succeeded", "\(job)\n\(cluster.logs)")
        guard case .linear(let distributed) = try Self.model(of: job).estimator, case .linear(let reference) = local.estimator else {
            Issue.record("not linear models")
            return
        }
        let scale = max(1, reference.weights.map(abs).max() ?? 1)
        let worst = zip(distributed.weights + [distributed.bias], reference.weights + [reference.bias]).map { abs($0 - $1) }.max() ?? 0
        #expect(worst / scale <= 1e-9, "largest weight difference \(worst)")
    }

    /// Two workers (per-level exchanges) killed at rounds 3 and 9, and the only worker of a
    /// one-worker job (whole trees) at round 5.
    @Test(arguments: [(3, 2), (9, 2), (5, 1)])
    func aWorkerKilledMidJobLeavesTheModelUnchanged(killAtRound: Int, workers: Int) async throws {
        let data = try await Self.dataset(rows: 8000)
        // Rounds enough that the kill lands mid-job even when the whole suite slows the polling down.
        let arguments = ["--data", data, "--label", "churned", "--n-trees", "60", "--subsample", "0.8"]
        let local = try await Self.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:\(56210 + killAtRound)")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2", "w3"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2", "w3"]) != nil, "\(cluster.logs)")
        let submitted = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--workers", "\(workers)",
                                                        "--json"] + arguments)
        let id = try #require(try Self.lastJob(submitted.stdout, context: submitted.stderr)["id"] as? Int)
        let victim = try #require(await Self.waitForRound(killAtRound, job: id, cluster: cluster), "\(cluster.logs)")
        cluster.workers[victim]!.signal(SIGKILL)
        let watched = try await TrainyardProcess.run(["jobs", "watch", "\(id)", "--coordinator", cluster.endpoint, "--json"],
                                                     timeout: .seconds(180))
        let job = try Self.lastJob(watched.stdout, context: cluster.logs)
        #expect(job["state"] as? String == "succeeded", "\(job)\n\(cluster.logs)")
        #expect((job["recoveries"] as? Int ?? 0) >= 1, "\(job)")
        #expect(!(job["assigned"] as? [String] ?? []).contains(victim))
        #expect(Self.trained(try Self.model(of: job)) == Self.trained(local))
    }

    /// Polls `jobs show` until the job has completed `round` rounds; returns its first worker.
    static func waitForRound(_ round: Int, job id: Int, cluster: Cluster) async -> String? {
        await eventually(timeout: .seconds(120), every: .milliseconds(50)) { () -> String? in
            guard let result = try? await TrainyardProcess.run(["jobs", "show", "\(id)", "--coordinator", cluster.endpoint, "--json"]),
                  let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                  (object["round"] as? Int ?? 0) >= round, let assigned = object["assigned"] as? [String] else { return nil }
            return assigned.first
        }?.value
    }

    @Test func aCoordinatorKilledMidJobResumesAfterRestartWithTheSameModel() async throws {
        let data = try await Self.dataset(rows: 8000)
        let arguments = ["--data", data, "--label", "churned", "--n-trees", "20", "--valid-fraction", "0.25"]
        let local = try await Self.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56220")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2"]) != nil, "\(cluster.logs)")
        let submitted = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--workers", "2", "--json"]
                                                       + arguments)
        let id = try #require(try Self.lastJob(submitted.stdout, context: submitted.stderr)["id"] as? Int)
        try #require(await Self.waitForRound(6, job: id, cluster: cluster) != nil, "\(cluster.logs)")
        cluster.coordinator!.signal(SIGKILL)
        _ = await cluster.coordinator!.waitForExit(timeout: .seconds(5))
        try cluster.startCoordinator()
        let watched = try await TrainyardProcess.run(["jobs", "watch", "\(id)", "--coordinator", cluster.endpoint, "--json"],
                                                     timeout: .seconds(180))
        let job = try Self.lastJob(watched.stdout, context: cluster.logs)
        #expect(job["state"] as? String == "succeeded", "\(job)\n\(cluster.logs)")
        #expect((job["recoveries"] as? Int ?? 0) >= 1, "\(job)")
        #expect(Self.trained(try Self.model(of: job)) == Self.trained(local))
        // The job table survived the restart.
        let list = try await TrainyardProcess.run(["jobs", "list", "--coordinator", cluster.endpoint, "--json"])
        #expect(list.stdout.contains("\"id\":\(id)"))
    }

    @Test func aJobWhoseWorkersAreAllKilledFailsWithinTheWait() async throws {
        let data = try await Self.dataset(rows: 8000)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56221")
        cluster.coordinatorArguments = ["--worker-wait-seconds", "2"]
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2"]) != nil, "\(cluster.logs)")
        let submitted = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--workers", "2", "--json",
                                                        "--data", data, "--label", "churned", "--n-trees", "200"])
        let id = try #require(try Self.lastJob(submitted.stdout, context: submitted.stderr)["id"] as? Int)
        try #require(await Self.waitForRound(2, job: id, cluster: cluster) != nil, "\(cluster.logs)")
        for worker in cluster.workers.values { worker.signal(SIGKILL) }
        let killedAt = ContinuousClock.now
        let watched = try await TrainyardProcess.run(["jobs", "watch", "\(id)", "--coordinator", cluster.endpoint, "--json"],
                                                     timeout: .seconds(60))
        let job = try Self.lastJob(watched.stdout, context: cluster.logs)
        #expect(job["state"] as? String == "failed")
        #expect((job["reason"] as? String ?? "").contains("no live worker appeared within 2 s"), "\(job)")
        #expect(ContinuousClock.now - killedAt < .seconds(30))
        #expect(watched.status != 0)
    }

    @Test func badSubmissionsAreRefusedAndNothingIsQueued() async throws {
        let data = try await Self.dataset(rows: 6000)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56222")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let cases: [([String], String)] = [
            (["--data", "/nonexistent/x.csv", "--label", "churned"], "is outside the coordinator's data roots"),
            (["--data", Self.directory.appendingPathComponent("missing.csv").path, "--label", "churned"], "does not exist"),
            (["--data", data, "--label", "nope"], "label column 'nope' is not in"),
            (["--data", data, "--label", "churned", "--workers", "0"], "workers is out of range: got 0, the limit is 1...1024"),
            (["--data", data, "--label", "churned", "--workers", "3"], "asks for 3 workers but 1 is alive"),
            (["--data", data, "--label", "churned", "--eta", "0"], "eta"),
            (["--data", data, "--label", "churned", "--objective", "rank:pairwise"], "objective"),
        ]
        for (arguments, message) in cases {
            let workers = arguments.contains("--workers") ? [] : ["--workers", "1"]
            let result = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint] + workers + arguments)
            #expect(result.status != 0, "\(arguments) was accepted")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let list = try await TrainyardProcess.run(["jobs", "list", "--coordinator", cluster.endpoint, "--json"])
        #expect(list.status == 0)
        #expect(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "queued: \(list.stdout)")

        // The trees × classes limit also holds for an objective inferred from the label (three contract types),
        // which only the running job knows: it fails at once instead of boosting 120,000 trees.
        let inferred = try await Self.submit(cluster, workers: 1, ["--data", data, "--label", "contract", "--n-trees", "40000"],
                                             timeout: .seconds(60))
        #expect(inferred["state"] as? String == "failed", "\(inferred)")
        #expect((inferred["reason"] as? String ?? "").contains("40000 trees × 3 classes"), "\(inferred)")
    }
}
