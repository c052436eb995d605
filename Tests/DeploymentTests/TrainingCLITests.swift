import Foundation
import Testing
import TestSupport

/// `trainyard data synth | train | evaluate | predict | data profile` as a user runs them.
@Suite(.serialized)
struct TrainingCLITests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-cli-\(UUID().uuidString.prefix(8))")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test func trainPredictAndEvaluateAgree() async throws {
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "3000", "--out", path("churn.csv")]).status == 0)
        let train = try await TrainyardProcess.run(["train", "--data", path("churn.csv"), "--label", "churned", "--valid-fraction", "0.25",
                                                    "--n-trees", "30", "--eta", "0.2", "--out", path("m.tym"), "--json"])
        #expect(train.status == 0, "\(train.stderr)")
        let lines = train.stdout.split(separator: "\n")
        #expect(lines.count == 31, "30 rounds and a summary")
        let done = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as! [String: Any]
        let metrics = done["metrics"] as! [String: Double]
        #expect(metrics["valid.auc"]! > 0.8)

        let predict = try await TrainyardProcess.run(["predict", "--model", path("m.tym"), "--data", path("churn.csv"), "--out", "-"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let rows = predict.stdout.split(separator: "\n")
        #expect(rows.first == "probability,class")
        #expect(rows.count == 3001)
        #expect(rows.dropFirst().allSatisfy { $0.hasSuffix(",yes") || $0.hasSuffix(",no") })

        let evaluate = try await TrainyardProcess.run(["evaluate", "--model", path("m.tym"), "--data", path("churn.csv"), "--json"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let evaluated = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as! [String: Any]
        #expect((evaluated["rows"] as? Int) == 3000)
        #expect(((evaluated["metrics"] as? [String: Double])?["auc"] ?? 0) > 0.8)
    }

    @Test func badInputGetsAClearErrorAndWritesNothing() async throws {
        try "a,b,label\n1,2,0\n3,4\n5,6,1\n".write(toFile: path("bad.csv"), atomically: true, encoding: .utf8)
        let bad = try await TrainyardProcess.run(["train", "--data", path("bad.csv"), "--label", "label", "--out", path("bad.tym")])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad.csv:3: expected 3 fields as in the header, found 2"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path("bad.tym")))

        let skipped = try await TrainyardProcess.run(["train", "--data", path("bad.csv"), "--label", "label", "--skip-bad-rows",
                                                      "--n-trees", "2", "--min-child-weight", "0", "--out", path("ok.tym")])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("skipped 1 malformed rows"))

        let parameter = try await TrainyardProcess.run(["train", "--data", path("bad.csv"), "--label", "label", "--skip-bad-rows",
                                                        "--max-depth", "40", "--out", path("x.tym")])
        #expect(parameter.stderr.contains("invalid max_depth: must be in 1...16, got 40"))
    }

    @Test func profileReportsTypesMissingValuesAndBalance() async throws {
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "500", "--out", path("p.csv")]).status == 0)
        let result = try await TrainyardProcess.run(["data", "profile", path("p.csv"), "--label", "churned", "--json"])
        #expect(result.status == 0)
        let profile = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(profile["rows"] as? Int == 500)
        let columns = profile["columns"] as! [[String: Any]]
        let age = columns.first { $0["name"] as? String == "age" }!
        #expect(age["kind"] as? String == "numeric")
        #expect((age["missingPercent"] as? Double ?? 0) > 0)
        let balance = profile["labelBalance"] as! [String: Int]
        #expect(balance["yes", default: 0] + balance["no", default: 0] == 500)
    }

    @Test func libsvmFilesTrainPredictAndEvaluate() async throws {
        // Label 1 exactly when feature 1 is present and above 0.5; feature 3 is noise.
        var lines: [String] = []
        for i in 0..<400 {
            let x = Double(i % 100) / 100
            let label = i % 3 != 0 && x > 0.5 ? 1 : 0
            lines.append(i % 3 == 0 ? "\(label) 3:\(x)" : "\(label) 1:\(x) 3:\(1 - x)")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path("train.libsvm"), atomically: true, encoding: .utf8)
        try "1 1:0.9\n0 1:0.1\n".write(toFile: path("small.libsvm"), atomically: true, encoding: .utf8)
        let train = try await TrainyardProcess.run(["train", "--data", path("train.libsvm"), "--label", "label",
                                                    "--n-trees", "10", "--out", path("svm.tym")])
        #expect(train.status == 0, "\(train.stderr)")
        // The prediction file's largest index is 1, below the training file's 3: still fine.
        let predict = try await TrainyardProcess.run(["predict", "--model", path("svm.tym"), "--data", path("small.libsvm")])
        #expect(predict.status == 0, "\(predict.stderr)")
        let rows = predict.stdout.split(separator: "\n").dropFirst()
        #expect(rows.map { $0.split(separator: ",").last! } == ["1", "0"])
        let evaluate = try await TrainyardProcess.run(["evaluate", "--model", path("svm.tym"), "--data", path("train.libsvm"), "--json"])
        let metrics = (try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])?["metrics"] as? [String: Double]
        #expect((metrics?["accuracy"] ?? 0) > 0.95, "\(evaluate.stdout) \(evaluate.stderr)")
    }
}
