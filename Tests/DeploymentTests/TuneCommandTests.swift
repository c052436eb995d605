import Foundation
import Testing
import TestSupport
import TrainyardML

/// `trainyard tune` as a user runs it: a study to the end, its best model, and bad input refused before any trial.
struct TuneCommandTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-tune-\(UUID().uuidString.prefix(8))")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    @Test func anASHAStudyPrunesTrialsAndKeepsTheBestModel() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "3000", "--out", path("churn.csv")]).status == 0)
        let space = try write("eta: {loguniform: [0.02, 0.5]}\nmax_depth: {int: [2, 6]}\nsubsample: {uniform: [0.6, 1.0]}\n", to: "space.yaml")
        let result = try await TrainyardProcess.run(["tune", "--data", path("churn.csv"), "--label", "churned", "--space", space,
                                                     "--strategy", "asha", "--trials", "9", "--parallel", "2", "--n-trees", "30",
                                                     "--grace", "3", "--out", path("best.tym"), "--json"], timeout: .seconds(300))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let trials = lines.filter { $0["event"] as? String == "trial" }
        #expect(trials.count == 9)
        let pruned = trials.filter { $0["state"] as? String == "pruned" }
        #expect(!pruned.isEmpty, "ASHA stops some of 9 trials: \(trials)")
        #expect(pruned.allSatisfy { ($0["rounds"] as? Int ?? 30) < 30 })
        let done = try #require(lines.last)
        #expect(done["event"] as? String == "done" && done["metric"] as? String == "valid.auc")
        // The best trial is the complete trial with the highest value, and its model is the one written.
        let complete = trials.filter { $0["state"] as? String == "complete" }
        let best = try #require(complete.max { ($0["value"] as! Double) < ($1["value"] as! Double) })
        #expect(done["best_trial"] as? Int == best["trial"] as? Int)
        let model = try ModelFile.read(path: path("best.tym"))
        #expect(abs((model.training.metrics["valid.auc"] ?? 0) - (best["value"] as! Double)) < 1e-12)
        #expect(model.training.parameters["tuning.strategy"] == "asha" && model.training.parameters["tuning.space"]?.contains("max_depth") == true)
        #expect(model.training.parameters["tuning.trial"] == "\(best["trial"] as! Int) of 9")
    }

    @Test func anASHAStudyOfLinearModelsJudgesThemByIterations() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "3000", "--out", path("churn.csv")]).status == 0)
        let space = try write("lambda: {loguniform: [0.001, 1000]}\n", to: "space.yaml")
        let result = try await TrainyardProcess.run(["tune", "--data", path("churn.csv"), "--label", "churned", "--model", "linear",
                                                     "--space", space, "--strategy", "asha", "--trials", "9", "--max-iter", "40",
                                                     "--grace", "2", "--metric", "valid.logloss", "--json"], timeout: .seconds(300))
        #expect(result.status == 0, "\(result.stderr)")
        let trials = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["event"] as? String == "trial" }
        #expect(trials.count == 9)
        let pruned = trials.filter { $0["state"] as? String == "pruned" }
        // Rungs at 2, 6 and 18 iterations: a pruned trial stopped at one of them, before its 40 iterations.
        #expect(!pruned.isEmpty, "ASHA stops some of 9 linear trials: \(trials)")
        #expect(pruned.allSatisfy { [2, 6, 18].contains($0["rounds"] as? Int ?? 0) }, "\(pruned)")
        #expect(trials.contains { $0["state"] as? String == "complete" })
    }

    @Test func badStudiesAreRefusedBeforeAnyTrialNamingTheField() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "300", "--out", path("churn.csv")]).status == 0)
        let base = ["tune", "--data", path("churn.csv"), "--label", "churned"]
        let cases: [([String], String, String)] = [
            (["--trials", "3"], "learning_rte: {uniform: [0.1, 0.3]}", "learning_rte: not a training parameter"),
            (["--trials", "3"], "eta: {uniform: [0.3, 0.1]}", "eta: uniform range is empty"),
            (["--trials", "3", "--metric", "valid.rmse"], "eta: {uniform: [0.1, 0.3]}", "binary:logistic models report valid.auc"),
            (["--trials", "3", "--strategy", "grid"], "max_depth: {int: [2, 8]}", "trials: the grid has 7 points but trials is 3"),
        ]
        for (index, (options, space, message)) in cases.enumerated() {
            let file = try write(space, to: "space-\(index).yaml")
            let result = try await TrainyardProcess.run(base + ["--space", file] + options)
            #expect(result.status != 0 && result.stderr.contains(message), "\(space): \(result.stderr)")
            #expect(!result.stdout.contains("trial"), "no trial ran: \(result.stdout)")
        }
    }
}
