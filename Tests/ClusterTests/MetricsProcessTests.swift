import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `coordinator --metrics-listen` and `worker --metrics-listen` as Prometheus scrapes them:
/// workers by state, jobs by state, rounds and traffic on the coordinator; requests, compute
/// time and shard bytes on the worker.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MetricsProcessTests {
    static func scrape(_ url: String) async -> String? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!),
              (response as? HTTPURLResponse)?.statusCode == 200 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of the sample line `series` (name and labels exactly as exposed), if present.
    static func value(_ exposition: String, _ series: String) -> Double? {
        exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func coordinatorAndWorkerExportTheirWork() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-metrics-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("churn.csv").path
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "2000", "--out", data]).status == 0)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56262")
        cluster.coordinatorArguments = ["--metrics-listen", "127.0.0.1:56263"]
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1", extra: ["--metrics-listen", "127.0.0.1:56264"])
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let coordinator = "http://127.0.0.1:56263/metrics", worker = "http://127.0.0.1:56264/metrics"
        let before = try #require(await eventually(timeout: .seconds(10)) { () -> String? in
            guard let text = await Self.scrape(coordinator), Self.value(text, #"trainyard_workers{state="alive"}"#) == 1 else { return nil }
            return text
        }?.value, "\(cluster.logs)")
        #expect(before.contains(#"trainyard_build_info{version="#) && Self.value(before, #"trainyard_jobs{state="succeeded"}"#) == 0)

        let submitted = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--data", data,
                                                        "--label", "churned", "--n-trees", "12", "--wait"], timeout: .seconds(120))
        #expect(submitted.status == 0, "\(submitted.stderr)\n\(cluster.logs)")
        let after = try #require(await Self.scrape(coordinator))
        #expect(Self.value(after, #"trainyard_jobs{state="succeeded"}"#) == 1, "\(after)")
        #expect(Self.value(after, "trainyard_rounds_total") == 12, "\(after)")
        #expect((Self.value(after, "trainyard_worker_sent_bytes_total") ?? 0) > 100_000, "the shard went out: \(after)")
        let work = try #require(await Self.scrape(worker))
        #expect((Self.value(work, #"trainyard_worker_requests_total{type="TREE_GROW"}"#) ?? 0) == 12, "\(work)")
        #expect((Self.value(work, "trainyard_worker_compute_seconds_total") ?? 0) > 0, "\(work)")
        #expect((Self.value(work, "trainyard_shard_received_bytes_total") ?? 0) > 100_000, "\(work)")

        // The worker goes: the coordinator counts it dead.
        cluster.workers["w1"]!.signal(SIGKILL)
        let gone = await eventually(timeout: .seconds(10)) { () -> Bool? in
            guard let text = await Self.scrape(coordinator), Self.value(text, #"trainyard_workers{state="dead"}"#) == 1 else { return nil }
            return true
        }
        #expect(gone != nil, "\(cluster.logs)")
    }
}
