import Foundation
import Testing
import TestSupport

/// Models cross between Trainyard and the real `xgboost` package and predict the same
/// within 1e-5: exported boosters load in XGBoost, XGBoost's models import here.
@Suite(.serialized, .timeLimit(.minutes(5)),
       .enabled(if: Python.hasXGBoost, "needs .venv with numpy and xgboost (make test installs them with pip)"))
struct XGBoostInteropTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-xgb-\(UUID().uuidString.prefix(8))")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Four numeric features with ~8 % missing and a non-linear target of the given kind.
    func writeData(_ name: String, objective: String, rows: Int = 2000, seed: UInt64) throws {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var lines = ["f0,f1,f2,f3,label"]
        for _ in 0..<rows {
            let x = (0..<4).map { _ in uniform() * 4 - 2 }
            let score = x[0] * x[1] + sin(3 * x[2]) + 0.5 * x[3] + (uniform() - 0.5)
            let label: String
            switch objective {
            case "binary:logistic": label = score > 0 ? "1" : "0"
            case "multi:softprob": label = score < -0.5 ? "0" : score < 0.7 ? "1" : "2"
            default: label = String(score)
            }
            lines.append((x.map { uniform() < 0.08 ? "" : String(Float($0)) } + [label]).joined(separator: ","))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    /// Our `predict` CSV as rows of numbers (the probability / prediction columns only).
    func ourPredictions(_ csv: String) -> [[Double]] {
        let lines = csv.split(separator: "\n")
        let header = lines[0].split(separator: ",")
        let keep = header.indices.filter { header[$0].hasPrefix("probability") || header[$0] == "prediction" }
        return lines.dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return keep.map { Double(fields[$0])! }
        }
    }

    func numbers(_ file: String) throws -> [[Double]] {
        try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",").map { Double($0)! } }
    }

    func maxDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        #expect(a.count == b.count && a.first?.count == b.first?.count, "shapes differ")
        return zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
    }

    static let objectives = ["binary:logistic", "reg:squarederror", "multi:softprob"]

    @Test(arguments: objectives)
    func anExportedModelPredictsTheSameInXGBoost(objective: String) async throws {
        try writeData("train.csv", objective: objective, seed: 7)
        let train = try await TrainyardProcess.run(["train", "--data", path("train.csv"), "--label", "label", "--objective", objective,
                                                    "--n-trees", "25", "--max-depth", "5", "--gamma", "0.3", "--subsample", "0.8",
                                                    "--colsample-bytree", "0.75", "--out", path("m.tym")])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try await TrainyardProcess.run(["export", "--model", path("m.tym"), "--format", "xgboost-json", "--out", path("m.json")]).status == 0)
        let ours = try await TrainyardProcess.run(["predict", "--model", path("m.tym"), "--data", path("train.csv")])
        try #require(ours.status == 0 && !ours.stdout.isEmpty, "\(ours.stderr)")
        let theirs = try Python.run(["predict", "--model", path("m.json"), "--data", path("train.csv"), "--out", path("xgb.csv"),
                                     "--pred", path("names.txt")])
        #expect(theirs.status == 0, "\(theirs.output)")
        // XGBoost reads the feature names and types where we wrote them.
        let described = try String(contentsOfFile: path("names.txt"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let header = try String(contentsOfFile: path("train.csv"), encoding: .utf8).prefix { $0 != "\n" }.split(separator: ",").filter { $0 != "label" }
        #expect(described.first.map { $0.split(separator: ",") } == header, "\(described)")
        #expect(described.dropFirst().first.map { Set($0.split(separator: ",")) } == ["float"], "\(described)")
        let difference = maxDifference(ourPredictions(ours.stdout), try numbers(path("xgb.csv")))
        #expect(difference < 1e-5, "max |ours − xgboost| = \(difference)")
    }

    @Test(arguments: objectives)
    func anXGBoostModelImportsAndPredictsTheSame(objective: String) async throws {
        try writeData("train.csv", objective: objective, seed: 8)
        let trained = try Python.run(["train", "--objective", objective, "--data", path("train.csv"), "--out", path("x.json"),
                                      "--pred", path("x.csv"), "--rounds", "20"])
        #expect(trained.status == 0, "\(trained.output)")
        let imported = try await TrainyardProcess.run(["import", "--xgboost", path("x.json"), "--out", path("x.tym")])
        #expect(imported.status == 0, "\(imported.stderr)")
        let ours = try await TrainyardProcess.run(["predict", "--model", path("x.tym"), "--data", path("train.csv")])
        try #require(ours.status == 0 && !ours.stdout.isEmpty, "\(ours.stderr)")
        let difference = maxDifference(ourPredictions(ours.stdout), try numbers(path("x.csv")))
        #expect(difference < 1e-5, "max |ours − xgboost| = \(difference)")
    }

    @Test func aMalformedXGBoostFileIsRefusedWithAReason() async throws {
        try #"{"learner": {"objective": {"name": "rank:pairwise"}}}"#.write(toFile: path("bad.json"), atomically: true, encoding: .utf8)
        let result = try await TrainyardProcess.run(["import", "--xgboost", path("bad.json"), "--out", path("bad.tym")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("not a valid XGBoost JSON model"))
        #expect(!FileManager.default.fileExists(atPath: path("bad.tym")))
    }
}

/// The test venv's Python with numpy and xgboost.
enum Python {
    static let executable = TrainyardProcess.packageRoot.appendingPathComponent(".venv/bin/python3")

    static let hasXGBoost: Bool = (try? run(["-c", "import numpy, xgboost"], script: false).status) == 0

    static func run(_ arguments: [String], script: Bool = true) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        let helper = TrainyardProcess.packageRoot.appendingPathComponent("Tests/Interop/xgboost_interop.py").path
        process.arguments = script ? [helper] + arguments : arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
