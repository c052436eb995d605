import Foundation
@testable import Serving
import Testing
import TrainyardML

/// A served model's drift monitor: PSI and KS against hand-computed values, the sliding window,
/// and traffic like the training rows against traffic shifted on two features.
struct DriftMonitorTests {
    @Test func psiAndKSMatchHandComputedValues() {
        // (0.9 − 0.5)·ln(0.9/0.5) + (0.1 − 0.5)·ln(0.1/0.5) = 0.4·0.587787 + 0.4·1.609438
        #expect(abs(DriftMonitor.psi(expected: [0.5, 0.5], actual: [0.9, 0.1]) - 0.878890) < 1e-6)
        #expect(DriftMonitor.psi(expected: [0.2, 0.3, 0.5], actual: [0.2, 0.3, 0.5]) == 0)
        #expect(abs(DriftMonitor.ks(expected: [0.5, 0.5], actual: [0.9, 0.1]) - 0.4) < 1e-12)
        // An empty bin is floored at 1e-4: (0.5 − 1e-4)·ln(0.5/1e-4) + (0.5 − 1)·ln(0.5) ≈ 4.6046
        #expect(abs(DriftMonitor.psi(expected: [0, 1], actual: [0.5, 0.5]) - ((0.5 - 1e-4) * log(0.5 / 1e-4) + 0.5 * log(2.0))) < 1e-9)
    }

    func churnModel() throws -> (TrainyardModel, Table) {
        let table = try CSVReader.read(bytes: Array(SyntheticChurn.csv(rows: 4000, seed: 11).utf8), name: "churn.csv")
        var request = TrainingRequest(label: "churned")
        request.gbdt.trees = 5
        return (try TrainingPipeline.run(train: table, request: request).model, table)
    }

    /// `table` sent as requests of `batch` rows.
    func send(_ table: Table, to monitor: DriftMonitor, model: TrainyardModel, batch: Int) throws {
        for start in stride(from: 0, to: table.rows, by: batch) {
            let part = table.rows(Array(start..<min(table.rows, start + batch)))
            monitor.record(part, predictions: try model.predict(part), outputs: 1)
        }
    }

    @Test func trafficLikeTheTrainingRowsIsStableAndAShiftedStreamDriftsOnTheShiftedFeaturesOnly() throws {
        let (model, table) = try churnModel()
        let served = ServedModel(name: "churn", version: 1, sha256: "", model: model, drift: .init(windowRows: 2000, recordsPerSecond: nil))
        let monitor = try #require(served.drift)
        let (features, _) = try #require(table.removing("churned"))
        let live = try CSVReader.read(bytes: Array(SyntheticChurn.csv(rows: 2000, seed: 99).utf8), name: "live.csv").removing("churned")!.0
        try send(live, to: monitor, model: model, batch: 50)
        let stable = monitor.report()
        #expect(stable.rows == 2000 && stable.baselineRows == features.rows)
        for feature in stable.features + [stable.prediction] where feature.psi != nil {
            #expect(feature.psi! < 0.1, "\(feature.name) PSI \(feature.psi!) on traffic like the training rows")
        }
        // Shift monthly charges up by 60% and send a contract type the model never saw.
        var columns = live.columns
        let charges = live.index(of: "monthly_charges")!, contract = live.index(of: "contract")!
        guard case .numeric(let values) = columns[charges] else { Issue.record("monthly_charges is not numeric"); return }
        columns[charges] = .numeric(values.map { $0 * 1.6 })
        columns[contract] = .categorical(codes: [Int32](repeating: 0, count: live.rows), levels: ["weekly"])
        let shifted = Table(names: live.names, columns: columns)
        try send(shifted, to: monitor, model: model, batch: 200)
        let report = monitor.report()
        #expect(report.rows == 2000)                                         // the window holds the shifted rows only
        let drifted = Set((report.features).filter { ($0.psi ?? 0) >= 0.2 }.map(\.name))
        #expect(drifted == ["monthly_charges", "contract"], "\(report.features.map { "\($0.name)=\($0.psi ?? -1)" })")
        #expect(report.features.first { $0.name == "contract" }?.unseenRate == 1)
    }

    @Test func theWindowKeepsTheLatestRowsAndForgetsOldOnes() throws {
        let (model, table) = try churnModel()
        let monitor = DriftMonitor(name: "churn", version: 1, model: model, baseline: model.baseline!,
                                   settings: .init(windowRows: 100, windowSeconds: 60, recordsPerSecond: nil))
        let (features, _) = try #require(table.removing("churned"))
        let rows = try model.predict(features)
        monitor.record(features, predictions: rows, outputs: 1, now: 1000)
        #expect(monitor.rowsPerRecord == 10 && monitor.report(now: 1000).rows == 10)   // a large request: an even sample
        for second in 1...12 {
            let part = features.rows(Array(second * 5..<second * 5 + 5))
            monitor.record(part, predictions: try model.predict(part), outputs: 1, now: 1000 + Double(second))
        }
        #expect(monitor.report(now: 1030).rows == 70)
        for _ in 0..<20 { monitor.record(features.rows([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), predictions: Array(rows[1...10]), outputs: 1, now: 1030) }
        #expect(monitor.report(now: 1059).rows == 100)                   // at most the window's rows
        #expect(monitor.report(now: 1091).rows == 0)                     // all older than 60 s
        // With a rate limit, requests closer together than its interval are not recorded.
        let limited = DriftMonitor(name: "churn", version: 1, model: model, baseline: model.baseline!,
                                   settings: .init(windowRows: 100, recordsPerSecond: 1))
        for _ in 0..<5 { limited.record(features.rows([0]), predictions: [rows[0]], outputs: 1) }
        #expect(limited.report().rows == 1)
        let empty = monitor.report(now: 2000)
        #expect(empty.features.allSatisfy { $0.psi == nil && $0.missingRate == 0 })
    }
}
