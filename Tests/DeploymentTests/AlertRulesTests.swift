import Coordinator
import Foundation
@testable import Serving
import Testing
import TrainyardML

/// The Prometheus alerting rules shipped in deploy/prometheus: valid, unit-tested with promtool
/// (Debian's `prometheus` package, installed by .ci/run), and written against metrics a replica
/// and the coordinator really export.
struct AlertRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("deploy/prometheus")
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs promtool with `arguments` in deploy/prometheus; its status and output.
    static func promtool(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool!)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("promtool-\(UUID().uuidString.prefix(8)).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    @Test(.enabled(if: promtool != nil, "needs promtool (apt-get install prometheus; .ci/run installs it)"))
    func theRulesAreValidAndTheirUnitTestsPass() throws {
        let check = try Self.promtool(["check", "rules", "alerts.yml"])
        #expect(check.status == 0 && check.output.contains("SUCCESS: 8 rules found"), "\(check.output)")
        let test = try Self.promtool(["test", "rules", "alerts.test.yml"])
        #expect(test.status == 0, "\(test.output)")
    }

    @Test func everyMetricTheRulesUseIsOneAReplicaOrTheCoordinatorExports() throws {
        let rules = try String(contentsOf: Self.directory.appendingPathComponent("alerts.yml"), encoding: .utf8)
        let used = Set(rules.matches(of: /trainyard_[a-z_]+/).map { String($0.output) })
        #expect(used.count >= 5, "\(used)")
        // A replica's metrics after a request, a refusal and a drift report.
        let metrics = ServingMetrics()
        metrics.record(endpoint: "/predict", status: 200, duration: .milliseconds(2), rows: 1)
        metrics.modelRefused()
        let table = try CSVReader.read(bytes: Array(SyntheticChurn.csv(rows: 300, seed: 5).utf8), name: "churn.csv")
        var request = TrainingRequest(label: "churned")
        request.gbdt.trees = 2
        let model = try TrainingPipeline.run(train: table, request: request).model
        let monitor = DriftMonitor(name: "churn", version: 1, model: model, baseline: model.baseline!,
                                   settings: .init(recordsPerSecond: nil))
        let features = table.removing("churned")!.table
        monitor.record(features, predictions: try model.predict(features), outputs: 1)
        metrics.updateDrift(monitor.report())
        let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
            + String(decoding: CoordinatorMetrics(version: "test").exposition(), as: UTF8.self)
        for name in used {
            #expect(exposition.contains(name), "alerts.yml uses \(name), which neither a replica nor the coordinator exports")
        }
    }
}
