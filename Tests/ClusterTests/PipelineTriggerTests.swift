import Foundation
import Testing
import TestSupport

/// Pipeline triggers on real processes: uploads arriving while a run trains coalesce into one
/// queued run that takes the newest version; a schedule starts runs with no upload at all.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct PipelineTriggerTests {
    static func runs(_ name: String, coordinator: [String]) async throws -> [[String: Any]] {
        let listed = try await TrainyardProcess.run(["pipeline", "runs", name, "--json"] + coordinator)
        return listed.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func uploadsDuringARunCoalesceAndASchedulePlansRunsOnItsOwn() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-triggers-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func path(_ name: String) -> String { directory + "/" + name }
        for seed in 1...3 {
            #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "3000", "--seed", "\(seed)", "--out", path("v\(seed).csv")]).status == 0)
        }
        let cluster = Cluster(bind: "tcp://127.0.0.1:56290")
        cluster.coordinatorArguments = ["--registry-listen", "127.0.0.1:56291", "--pipeline-poll-interval", "100ms"]
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let registry = ["--registry", "http://127.0.0.1:56291"], coordinator = ["--coordinator", cluster.endpoint]
        func apply(_ yaml: String, as file: String) async throws {
            try yaml.write(toFile: path(file), atomically: true, encoding: .utf8)
            let applied = try await TrainyardProcess.run(["pipeline", "apply", path(file)] + coordinator)
            #expect(applied.status == 0, "\(applied.stderr)")
        }
        try await apply("""
            name: slow
            dataset: churn
            train: {label: churned, n-trees: 400, workers: 1}
            evaluate: {metric: auc, max_regression: 1}
            """, as: "slow.yaml")
        #expect(try await TrainyardProcess.run(["datasets", "upload", path("v1.csv"), "--name", "churn"] + registry).status == 0)
        // Run 1 trains; versions 2 and 3 arrive meanwhile: one run is queued, not two.
        let training = await eventually(timeout: .seconds(30)) { () -> Bool? in
            let runs = try? await Self.runs("slow", coordinator: coordinator)
            return (runs?.first?["steps"] as? [[String: Any]])?[1]["state"] as? String == "running" ? true : nil
        }
        #expect(training != nil, "run 1 never trained\n\(cluster.logs)")
        for version in [2, 3] {
            #expect(try await TrainyardProcess.run(["datasets", "upload", path("v\(version).csv"), "--name", "churn"] + registry).status == 0)
            try await Task.sleep(for: .milliseconds(400))      // a few looks of the coordinator
        }
        let queued = try await Self.runs("slow", coordinator: coordinator)
        #expect(queued.count == 2 && queued[0]["state"] as? String == "queued" && queued[0]["dataset"] == nil, "\(queued)")
        #expect(cluster.coordinator?.log.contains("pipeline trigger coalesced into a queued run") == true)
        // The queued run starts when run 1 ends, on the newest version.
        let done = await eventually(timeout: .seconds(120), every: .milliseconds(200)) { () -> [[String: Any]]? in
            guard let runs = try? await Self.runs("slow", coordinator: coordinator), runs.count == 2,
                  runs.allSatisfy({ ["succeeded", "stopped"].contains($0["state"] as? String ?? "") }) else { return nil }
            return runs
        }
        let finished = try #require(done?.value, "the runs did not end\n\(cluster.logs)")
        #expect(finished[0]["dataset"] as? String == "churn@3" && finished[1]["dataset"] as? String == "churn@1", "\(finished)")

        // A schedule alone: no new version, runs every second.
        try await apply("""
            name: nightly
            dataset: churn
            trigger: {new_version: false, every: 1s}
            train: {label: churned, n-trees: 5, workers: 1}
            evaluate: {metric: auc, max_regression: 1}
            register: {model: nightly}
            """, as: "nightly.yaml")
        let scheduled = await eventually(timeout: .seconds(60), every: .milliseconds(200)) { () -> Bool? in
            let runs = try? await Self.runs("nightly", coordinator: coordinator)
            return (runs?.filter { $0["trigger"] as? String == "schedule" && $0["state"] as? String == "succeeded" }.count ?? 0) >= 2 ? true : nil
        }
        let nightly = try await Self.runs("nightly", coordinator: coordinator)
        #expect(scheduled != nil, "\(nightly)\n\(cluster.logs)")
        #expect(nightly.allSatisfy { $0["trigger"] as? String == "schedule" })
    }
}
