import Foundation
import Testing
import TestSupport
import TrainyardML

/// Tuning studies on a real coordinator and workers on loopback: trials in parallel on the
/// workers with the rows shipped once per worker, the same trials and values as tuning on one
/// machine, and a study that survives a coordinator restart and a lost worker.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct ClusterTuningTests {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-tune-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static func file(_ name: String, _ text: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func dataset(rows: Int) async throws -> String {
        let path = directory.appendingPathComponent("churn-\(rows).csv").path
        if !FileManager.default.fileExists(atPath: path) {
            let result = try await TrainyardProcess.run(["data", "synth", "--rows", "\(rows)", "--out", path])
            try #require(result.status == 0, "\(result.stderr)")
        }
        return path
    }

    static let space = "eta: {loguniform: [0.05, 0.4]}\nmax_depth: {int: [2, 6]}\nsubsample: {uniform: [0.6, 1.0]}\n"

    /// Each trial's (state, value, parameters) from `trainyard tune --json` on this machine.
    static func local(_ arguments: [String]) async throws -> [Int: (state: String, value: Double?, parameters: [String: String])] {
        let result = try await TrainyardProcess.run(["tune", "--json"] + arguments, timeout: .seconds(240))
        try #require(result.status == 0, "\(result.stderr)")
        var trials: [Int: (state: String, value: Double?, parameters: [String: String])] = [:]
        for line in result.stdout.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["event"] as? String == "trial", let id = object["trial"] as? Int else { continue }
            trials[id] = (object["state"] as! String, object["value"] as? Double, object["parameters"] as! [String: String])
        }
        return trials
    }

    /// `tune show ID --json`.
    static func show(_ id: Int, _ cluster: Cluster) async throws -> [String: Any] {
        let result = try await TrainyardProcess.run(["tune", "show", "\(id)", "--coordinator", cluster.endpoint, "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    static func trials(_ study: [String: Any]) -> [[String: Any]] { study["trials"] as? [[String: Any]] ?? [] }

    static func submit(_ cluster: Cluster, _ arguments: [String]) async throws -> Int {
        let result = try await TrainyardProcess.run(["submit", "tune", "--coordinator", cluster.endpoint, "--json"] + arguments)
        try #require(result.status == 0, "\(result.stderr)\n\(cluster.logs)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require((object["job"] as? [String: Any])?["id"] as? Int)
    }

    /// `tune watch ID --json` to the end; returns the final study.
    static func watch(_ id: Int, _ cluster: Cluster) async throws -> [String: Any] {
        let watched = try await TrainyardProcess.run(["tune", "watch", "\(id)", "--coordinator", cluster.endpoint, "--json"],
                                                     timeout: .seconds(300))
        let last = try #require(watched.stdout.split(separator: "\n").last, "\(watched.stderr)\n\(cluster.logs)")
        return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    }

    /// The cluster's trials equal the local study's: the same parameters, states and values.
    static func expectSameTrials(_ cluster: [[String: Any]], _ local: [Int: (state: String, value: Double?, parameters: [String: String])],
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(cluster.count == local.count, sourceLocation: sourceLocation)
        for trial in cluster {
            let id = trial["trial"] as! Int
            guard let expected = local[id] else { Issue.record("trial \(id) not in the local study", sourceLocation: sourceLocation); continue }
            #expect(trial["parameters"] as? [String: String] == expected.parameters, "trial \(id)", sourceLocation: sourceLocation)
            #expect(trial["state"] as? String == expected.state, "trial \(id): \(trial)", sourceLocation: sourceLocation)
            #expect(trial["value"] as? Double == expected.value, "trial \(id): \(trial) vs \(expected)", sourceLocation: sourceLocation)
        }
    }

    @Test func parallelTrialsOnTheWorkersMatchTuningOnOneMachineAndShipTheRowsOncePerWorker() async throws {
        let data = try await Self.dataset(rows: 4000)
        let space = try Self.file("space.yaml", Self.space)
        let arguments = ["--data", data, "--label", "churned", "--space", space, "--strategy", "random", "--trials", "6",
                         "--parallel", "2", "--n-trees", "20", "--seed", "5"]
        let local = try await Self.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56230")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2"]) != nil, "\(cluster.logs)")
        let out = Self.directory.appendingPathComponent("best.model").path
        let result = try await TrainyardProcess.run(["submit", "tune", "--coordinator", cluster.endpoint, "--out", out,
                                                     "--model-name", "churn-tuned"] + arguments, timeout: .seconds(240))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(cluster.logs)")
        #expect(result.stdout.contains("trials: 6/6 done (6 complete, 0 pruned, 0 failed), 0 running"), "\(result.stdout)")
        let study = try await Self.show(1, cluster)
        #expect(study["state"] as? String == "succeeded")
        let trials = Self.trials(study)
        Self.expectSameTrials(trials, local)
        // Trials ran on both workers, and each worker received the rows once.
        #expect(Set(trials.flatMap { $0["workers"] as? [String] ?? [] }) == ["w1", "w2"])
        let shipped = trials.map { $0["shard_bytes"] as? Int ?? -1 }
        #expect(shipped.filter { $0 > 0 }.count == 2 && shipped.filter { $0 == 0 }.count == 4, "\(shipped)")
        #expect((study["study"] as? [String: Any])?["shard_bytes"] as? Int == shipped.reduce(0, +))
        // The best trial's model is the study's, downloaded whole, with its lineage.
        let best = try #require((study["study"] as? [String: Any])?["best_trial"] as? Int)
        let bestValue = local.values.compactMap(\.value).max()
        #expect(local[best]?.value == bestValue)
        let model = try ModelFile.read(path: out)
        #expect(model.training.parameters["tuning.study"] == "1" && model.training.parameters["tuning.strategy"] == "random")
        #expect(model.training.parameters["tuning.trial"]?.hasPrefix("\(best) of 6") == true)
        #expect(model.training.parameters["tuning.space"] == Self.space)
        // `tune list` shows the study; `jobs list` does not list its trials as jobs of their own.
        let list = try await TrainyardProcess.run(["tune", "list", "--coordinator", cluster.endpoint])
        #expect(list.stdout.contains("succeeded") && list.stdout.contains("6/6"), "\(list.stdout)")
        let jobs = try await TrainyardProcess.run(["jobs", "list", "--coordinator", cluster.endpoint, "--json"])
        #expect(jobs.stdout.split(separator: "\n").count == 1, "\(jobs.stdout)")
    }

    @Test func aCoordinatorKilledMidStudyResumesItWithNoFinishedTrialLost() async throws {
        let data = try await Self.dataset(rows: 8000)
        let space = try Self.file("space-restart.yaml", Self.space)
        let arguments = ["--data", data, "--label", "churned", "--space", space, "--strategy", "tpe", "--trials", "6",
                         "--parallel", "2", "--n-trees", "120", "--seed", "9"]
        let cluster = Cluster(bind: "tcp://127.0.0.1:56231")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2"]) != nil, "\(cluster.logs)")
        let id = try await Self.submit(cluster, arguments)
        // Kill it once a trial has finished and others are running.
        let before = try #require(await eventually(timeout: .seconds(120), every: .milliseconds(100)) { () -> [[String: Any]]? in
            guard let trials = try? Self.trials(await Self.show(id, cluster)),
                  trials.contains(where: { $0["state"] as? String == "complete" }),
                  trials.contains(where: { $0["state"] as? String == "running" }) else { return nil }
            return trials
        }?.value, "\(cluster.logs)")
        cluster.coordinator!.signal(SIGKILL)
        _ = await cluster.coordinator!.waitForExit(timeout: .seconds(5))
        try cluster.startCoordinator()
        let done = try await Self.watch(id, cluster)
        #expect(done["state"] as? String == "succeeded", "\(done)\n\(cluster.logs)")
        let after = Self.trials(try await Self.show(id, cluster))
        #expect(after.count == 6)
        for trial in before where trial["state"] as? String == "complete" {
            let same = after.first { $0["trial"] as? Int == trial["trial"] as? Int }
            #expect(same?["job"] as? Int == trial["job"] as? Int && same?["value"] as? Double == trial["value"] as? Double,
                    "a finished trial changed: \(trial) → \(String(describing: same))")
        }
        #expect(cluster.coordinator!.log.contains("resuming a trial"), "\(cluster.logs)")
        // Resumed trials continued from their saved rounds: the study is the one tuning on one machine runs.
        Self.expectSameTrials(after, try await Self.local(arguments))
    }

    @Test func aWorkerKilledMidTrialMovesItAndTheStudyEndsAsOnOneMachine() async throws {
        let data = try await Self.dataset(rows: 8000)
        let space = try Self.file("space-kill.yaml", Self.space)
        // One trial at a time: ASHA's decisions do not depend on timing, so the study is repeatable.
        let arguments = ["--data", data, "--label", "churned", "--space", space, "--strategy", "asha", "--grace", "5",
                         "--trials", "6", "--parallel", "1", "--n-trees", "90", "--seed", "2"]
        let cluster = Cluster(bind: "tcp://127.0.0.1:56232")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2"]) != nil, "\(cluster.logs)")
        let id = try await Self.submit(cluster, arguments)
        // The first trial's worker, once the trial has judged rounds.
        let victim = try #require(await eventually(timeout: .seconds(120), every: .milliseconds(50)) { () -> String? in
            guard let trial = try? Self.trials(await Self.show(id, cluster)).first,
                  trial["state"] as? String == "running", !(trial["rungs"] as? [Any] ?? []).isEmpty else { return nil }
            return (trial["workers"] as? [String])?.first
        }?.value, "\(cluster.logs)")
        cluster.workers[victim]!.signal(SIGKILL)
        let done = try await Self.watch(id, cluster)
        #expect(done["state"] as? String == "succeeded", "\(done)\n\(cluster.logs)")
        let trials = Self.trials(try await Self.show(id, cluster))
        #expect(trials.allSatisfy { $0["state"] as? String != "failed" }, "\(trials)")
        #expect(Set(trials.dropFirst().flatMap { $0["workers"] as? [String] ?? [] }) == Set(["w1", "w2"]).subtracting([victim]))
        Self.expectSameTrials(trials, try await Self.local(arguments))
    }

    @Test func distributedTrialsAndLinearTrialsJudgedByIterationsMatchOneMachine() async throws {
        let data = try await Self.dataset(rows: 4000)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56234")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2"]) != nil, "\(cluster.logs)")
        // Trees on two workers per trial: each trial's shards span both workers.
        let trees = ["--data", data, "--label", "churned", "--space", try Self.file("space-k2.yaml", Self.space), "--strategy", "random",
                     "--trials", "3", "--n-trees", "15", "--seed", "4"]
        let distributed = try await Self.submit(cluster, trees + ["--workers-per-trial", "2"])
        let first = try await Self.watch(distributed, cluster)
        #expect(first["state"] as? String == "succeeded", "\(first)\n\(cluster.logs)")
        let trials = Self.trials(try await Self.show(distributed, cluster))
        #expect(trials.allSatisfy { Set($0["workers"] as? [String] ?? []) == ["w1", "w2"] }, "\(trials)")
        Self.expectSameTrials(trials, try await Self.local(trees))
        // Linear models under ASHA: rungs in L-BFGS iterations, pruned trials stop there.
        let linear = ["--data", data, "--label", "churned", "--model", "linear", "--space",
                      try Self.file("space-linear.yaml", "lambda: {loguniform: [0.001, 1000]}\n"), "--strategy", "asha", "--grace", "2",
                      "--trials", "6", "--max-iter", "40", "--metric", "valid.logloss", "--seed", "4"]
        let study = try await Self.submit(cluster, linear)
        let done = try await Self.watch(study, cluster)
        #expect(done["state"] as? String == "succeeded", "\(done)\n\(cluster.logs)")
        let linearTrials = Self.trials(try await Self.show(study, cluster))
        #expect(linearTrials.contains { $0["state"] as? String == "pruned" }, "\(linearTrials)")
        Self.expectSameTrials(linearTrials, try await Self.local(linear))
    }

    @Test func badStudiesAreRefusedBeforeAnythingIsQueued() async throws {
        let data = try await Self.dataset(rows: 4000)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56233")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let base = ["submit", "tune", "--coordinator", cluster.endpoint, "--data", data, "--label", "churned", "--n-trees", "20"]
        let cases: [([String], String, String)] = [
            (["--trials", "3"], "learning_rte: {uniform: [0.1, 0.3]}", "learning_rte: not a training parameter"),
            (["--trials", "3"], "eta: {uniform: [0.3, 0.1]}", "eta: uniform range is empty"),
            (["--trials", "3", "--strategy", "grid"], "max_depth: {int: [2, 8]}", "trials: the grid has 7 points but trials is 3"),
            (["--trials", "3", "--metric", "valid.f1"], "eta: {uniform: [0.1, 0.3]}", "metric: no objective reports 'valid.f1'"),
            (["--trials", "3", "--workers-per-trial", "2"], "eta: {uniform: [0.1, 0.3]}", "each trial asks for 2 workers but 1 is alive"),
            (["--trials", "3", "--grace", "20", "--strategy", "asha"], "eta: {uniform: [0.1, 0.3]}", "grace: must be between 1"),
        ]
        for (index, (options, space, message)) in cases.enumerated() {
            let file = try Self.file("bad-\(index).yaml", space)
            let result = try await TrainyardProcess.run(base + ["--space", file] + options)
            #expect(result.status != 0 && result.stderr.contains(message), "\(space): \(result.stderr)")
        }
        let jobs = try await TrainyardProcess.run(["jobs", "list", "--coordinator", cluster.endpoint, "--json"])
        #expect(jobs.stdout.isEmpty, "\(jobs.stdout)")
    }
}
