import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// Pipelines on real processes: a coordinator with its embedded registry, a worker and a replica
/// that follows the `production` alias. New dataset versions start gated runs; a passing run
/// moves the replica to the new model with no request failing; a worse candidate, a dataset that
/// lost a column, or a run interrupted by a coordinator crash leave production as they should.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct PipelineProcessTests {
    static let record = "{\"tenure_months\":11,\"monthly_charges\":88.77,\"total_charges\":975.07,\"contract\":\"one-year\","
        + "\"payment_method\":\"credit-card\",\"internet_service\":\"fiber\",\"support_calls\":5,\"age\":33,\"senior\":0,\"region\":\"north\"}"

    static func pipeline(trees: Int, depth: Int = 6, maxRegression: Double) -> String {
        """
        name: churn
        dataset: churn
        quality: {min_rows: 1000, schema: compatible, min_class_fraction: 0.1}
        train: {label: churned, n-trees: \(trees), max-depth: \(depth), workers: 1}
        evaluate: {metric: auc, holdout: 0.2, threshold: 0.6, max_regression: \(maxRegression)}
        register: {model: churn}
        approval: auto
        promote: production
        """
    }

    /// One POST /predict: the status and the model version that answered.
    static func predict(_ url: String) async -> (status: Int, version: String?) {
        var request = URLRequest(url: URL(string: url + "/predict")!)
        request.httpMethod = "POST"
        request.httpBody = Data(record.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 5
        guard let (_, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return (0, nil) }
        return (http.statusCode, http.value(forHTTPHeaderField: "x-model-version"))
    }

    @Test func newVersionsRunTheGatedPipelineAndOnlyGoodCandidatesReachTheReplica() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-pipeline-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func path(_ name: String) -> String { directory + "/" + name }
        for seed in 1...6 {
            #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "3000", "--seed", "\(seed)", "--out", path("v\(seed).csv")]).status == 0)
        }
        // Version 4 lost a column (`contract`, the fourth).
        let lines = try String(contentsOfFile: path("v4.csv"), encoding: .utf8).split(separator: "\n")
        try (lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { $0.offset != 3 }
            .map(\.element).joined(separator: ",") }.joined(separator: "\n") + "\n").write(toFile: path("v4.csv"), atomically: true, encoding: .utf8)

        let cluster = Cluster(bind: "tcp://127.0.0.1:56270")
        cluster.coordinatorArguments = ["--registry-listen", "127.0.0.1:56271", "--pipeline-poll-interval", "200ms"]
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let registry = ["--registry", "http://127.0.0.1:56271"], coordinator = ["--coordinator", cluster.endpoint]
        func apply(_ yaml: String) async throws -> String {
            try yaml.write(toFile: path("churn.pipeline.yaml"), atomically: true, encoding: .utf8)
            let applied = try await TrainyardProcess.run(["pipeline", "apply", path("churn.pipeline.yaml")] + coordinator)
            #expect(applied.status == 0, "\(applied.stderr)")
            return applied.stdout
        }
        func upload(_ version: Int) async throws -> String {
            let uploaded = try await TrainyardProcess.run(["datasets", "upload", path("v\(version).csv"), "--name", "churn"] + registry)
            #expect(uploaded.status == 0, "\(uploaded.stderr)")
            return uploaded.stdout
        }
        func watch(_ run: Int) async throws -> (status: Int32, stdout: String, stderr: String) {
            // The upload's trigger queues the run at the coordinator's next look (every 200 ms).
            _ = await eventually(timeout: .seconds(10), every: .milliseconds(100)) {
                try? await TrainyardProcess.run(["pipeline", "run", "show", "\(run)"] + coordinator).status == 0 ? true : nil
            }
            return try await TrainyardProcess.run(["pipeline", "run", "watch", "\(run)"] + coordinator, timeout: .seconds(180))
        }
        func production() async throws -> String {
            try await TrainyardProcess.run(["models", "list"] + registry).stdout
        }

        #expect(try await apply(Self.pipeline(trees: 20, maxRegression: 0.1)).contains("pipeline churn created"))
        // 1. The first version: quality, train, evaluate, register, approve, promote.
        #expect(try await upload(1).hasPrefix("churn@1 "))
        let first = try await watch(1)
        #expect(first.status == 0 && first.stdout.contains("succeeded: churn version 1 is production"), "\(first)\n\(cluster.logs)")

        // A replica following production, under steady requests while the next version is promoted.
        let replica = try TrainyardProcess(["serve", "--model", "churn", "--listen", "127.0.0.1:56272", "--log", "none",
                                            "--poll-interval", "200ms"] + registry)
        defer { replica.stop() }
        let url = "http://127.0.0.1:56272"
        try #require(await eventually(timeout: .seconds(30)) { await Self.predict(url).status == 200 ? true : nil } != nil, "\(replica.log)")
        // Requests one after another until version 2 has answered a few (or a minute has passed).
        let load = Task {
            var answers: [(status: Int, version: String?)] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                answers.append(await Self.predict(url))
                if answers.suffix(5).allSatisfy({ $0.version == "2" }) && answers.count > 20 { break }
            }
            return answers
        }
        // 2. A second version: a passing run moves production, and the replica with it.
        _ = try await upload(2)
        let second = try await watch(2)
        #expect(second.status == 0, "\(second)\n\(cluster.logs)")
        let answers = await load.value
        #expect(answers.last?.version == "2", "the replica never served version 2\n\(replica.log)")
        #expect(answers.allSatisfy { $0.status == 200 }, "failed requests during the switch: \(answers.filter { $0.status != 200 })")
        #expect(Set(answers.compactMap(\.version)) == ["1", "2"])

        // 3. A worse candidate (one stump, no regression allowed) stops at the evaluation gate.
        #expect(try await apply(Self.pipeline(trees: 1, depth: 1, maxRegression: 0)).contains("pipeline churn changed"))
        _ = try await upload(3)
        let worse = try await watch(3)
        #expect(worse.status != 0 && worse.stderr.contains("stopped at evaluate: candidate auc") && worse.stderr.contains("worse than production (version 2)"),
                "\(worse)")
        #expect(try await production().contains("production=v2"))
        #expect(await Self.predict(url).version == "2")

        // 4. A version without a column of the previous one stops at the quality gate, naming it.
        _ = try await apply(Self.pipeline(trees: 20, maxRegression: 0.1))
        _ = try await upload(4)
        let broken = try await watch(4)
        #expect(broken.status != 0 && broken.stderr.contains("stopped at quality: column 'contract' of the previous version is missing"),
                "\(broken)")
        #expect(try await production().contains("production=v2"))

        // 5. The same content again is the same version, and starts nothing.
        #expect(try await upload(2).hasPrefix("churn@2 "))
        try await Task.sleep(for: .seconds(1))
        let runs = try await TrainyardProcess.run(["pipeline", "runs", "churn", "--json"] + coordinator)
        #expect(runs.stdout.split(separator: "\n").count == 4, "\(runs.stdout)")

        // 6. A coordinator killed while a run trains: the restarted one continues the run with the same job.
        _ = try await apply(Self.pipeline(trees: 300, maxRegression: 0.1))
        _ = try await upload(5)
        let training = await eventually(timeout: .seconds(60)) { () -> Int? in
            let shown = try? await TrainyardProcess.run(["pipeline", "run", "show", "5", "--json"] + coordinator)
            guard let text = shown?.stdout, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let run = object["run"] as? [String: Any], let steps = run["steps"] as? [[String: Any]],
                  steps[1]["state"] as? String == "running", let job = run["job"] as? Int else { return nil }
            return job
        }
        let job = try #require(training?.value, "run 5 never reached training\n\(cluster.logs)")
        cluster.coordinator?.signal(SIGKILL)
        _ = await cluster.coordinator?.waitForExit(timeout: .seconds(10))
        try cluster.startCoordinator()
        let resumed = try await watch(5)
        #expect(resumed.status == 0 && resumed.stdout.contains("succeeded: churn version 3 is production"), "\(resumed)\n\(cluster.logs)")
        let shown = try await TrainyardProcess.run(["pipeline", "run", "show", "5", "--json"] + coordinator)
        #expect(shown.stdout.contains("\"job\":\(job),"), "the run kept its job \(job): \(shown.stdout)")
        let jobs = try await TrainyardProcess.run(["jobs", "list", "--json"] + coordinator)
        #expect(jobs.stdout.split(separator: "\n").count == 4, "one job per run that trained, none twice: \(jobs.stdout)")

        // 7. A drop folder: a malformed file is reported naming its line and skipped; a good one becomes version 6 and a run.
        let drop = path("drop")
        try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
        let watcher = try TrainyardProcess(["datasets", "upload", "--watch", drop, "--name", "churn", "--interval", "200ms"] + registry)
        defer { watcher.stop() }
        try "tenure_months,churned\n1,yes\n2,no,extra\n".write(toFile: drop + "/broken.csv", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: path("v6.csv"), toPath: drop + "/.partial")
        try FileManager.default.moveItem(atPath: drop + "/.partial", toPath: drop + "/v6.csv")
        let dropped = await eventually(timeout: .seconds(30)) { () -> Bool? in
            let runs = try? await TrainyardProcess.run(["pipeline", "runs", "churn"] + coordinator)
            return runs?.stdout.contains("churn@6") == true || runs?.stdout.split(separator: "\n").count == 7 ? true : nil
        }
        #expect(dropped != nil, "no run for the dropped file\n\(watcher.log)\n\(cluster.logs)")
        #expect(watcher.log.contains("broken.csv: not uploaded") && watcher.log.contains("broken.csv:3: expected 2 fields"), "\(watcher.log)")
    }
}
