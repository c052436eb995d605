import Foundation
import Testing
@testable import TrainyardML

/// A small non-linear problem with missing values that the trainer must learn.
func syntheticClassification(rows: Int, seed: UInt64, missingRate: Double = 0.05) -> (DenseMatrix, [Float]) {
    var random = SplitMix64(seed: seed)
    var values: [Float] = []
    var labels: [Float] = []
    for _ in 0..<rows {
        let x = (0..<6).map { _ in Float.random(in: -1...1, using: &random) }
        let score = x[0] * x[1] * 3 + sin(x[2] * 3) + (x[3] > 0.3 ? 1 : -0.5) + Float.random(in: -0.5...0.5, using: &random)
        labels.append(score > 0 ? 1 : 0)
        values += x.map { Double.random(in: 0..<1, using: &random) < missingRate ? .nan : $0 }
    }
    return (DenseMatrix(rows: rows, columns: 6, values: values), labels)
}

struct TrainerTests {
    @Test func learnsANonLinearProblemWithMissingValues() throws {
        let (x, y) = syntheticClassification(rows: 4000, seed: 1)
        let (vx, vy) = syntheticClassification(rows: 2000, seed: 2)
        var p = GBDTParameters()
        p.trees = 60
        p.eta = 0.2
        let result = try GBDTTrainer(parameters: p).train(x, labels: y, validation: (vx, vy))
        let auc = Metrics.auc(labels: vy, scores: result.model.predict(vx))!
        #expect(auc > 0.9, "validation AUC \(auc)")
        #expect(result.history.count == 60)
        #expect(result.history.last!.valid! < result.history.first!.valid!)
    }

    @Test func theModelDoesNotDependOnTheThreadCount() throws {
        let (x, y) = syntheticClassification(rows: 40_000, seed: 3)
        var p = GBDTParameters()
        p.trees = 5
        p.subsample = 0.8
        p.colsampleByTree = 0.7
        p.seed = 9
        p.threads = 1
        let one = try GBDTTrainer(parameters: p).train(x, labels: y).model
        p.threads = 2
        let two = try GBDTTrainer(parameters: p).train(x, labels: y).model
        #expect(one == two)
        p.seed = 10
        #expect(try GBDTTrainer(parameters: p).train(x, labels: y).model != one, "the seed drives the sampling")
    }

    @Test func multiclassGrowsOneTreePerClassPerRound() throws {
        var random = SplitMix64(seed: 4)
        let rows = (0..<900).map { _ in [Float.random(in: 0...3, using: &random), Float.random(in: 0...1, using: &random)] }
        let labels = rows.map { Float(Int($0[0]).clamped(to: 0...2)) }
        var p = GBDTParameters()
        p.objective = .softprob(numClass: 3)
        p.trees = 10
        let model = try GBDTTrainer(parameters: p).train(DenseMatrix(rows), labels: labels).model
        #expect(model.trees.count == 30)
        #expect(model.treeGroups.prefix(6) == [0, 1, 2, 0, 1, 2])
        let predictions = model.predict(DenseMatrix(rows))
        #expect(Metrics.multiAccuracy(labels: labels, probabilities: predictions, classes: 3) > 0.98)
        #expect(abs(predictions[0] + predictions[1] + predictions[2] - 1) < 1e-5)
    }

    @Test func earlyStoppingKeepsTheBestRound() throws {
        let (x, y) = syntheticClassification(rows: 600, seed: 5, missingRate: 0)
        let (vx, vy) = syntheticClassification(rows: 600, seed: 6, missingRate: 0)
        var p = GBDTParameters()
        p.trees = 300
        p.eta = 0.5
        p.maxDepth = 8
        p.minChildWeight = 0
        p.earlyStoppingRounds = 5
        let result = try GBDTTrainer(parameters: p).train(x, labels: y, validation: (vx, vy))
        let best = try #require(result.bestRound)
        #expect(result.history.count < 300, "over-fitting this hard must stop early")
        #expect(result.history.count == best + 5)
        #expect(result.model.trees.count == best)
        #expect(result.history[best - 1].valid == result.history.compactMap(\.valid).min())
    }

    @Test func badParametersAreRejectedByName() {
        var p = GBDTParameters()
        p.eta = 0
        #expect(throws: ParameterError.invalid("eta", "must be in (0, 1], got 0.0")) { try GBDTTrainer(parameters: p) }
        p = GBDTParameters()
        p.maxBin = 1000
        #expect(throws: ParameterError.invalid("max_bin", "must be in 2...256, got 1000")) { try GBDTTrainer(parameters: p) }
        p = GBDTParameters()
        p.subsample = 0
        #expect(throws: ParameterError.self) { try GBDTTrainer(parameters: p) }
    }

    @Test func gainImportanceFavoursTheInformativeFeature() throws {
        var random = SplitMix64(seed: 7)
        let rows = (0..<2000).map { _ in [Float.random(in: 0...1, using: &random), Float.random(in: 0...1, using: &random)] }
        var p = GBDTParameters()
        p.objective = .squaredError
        p.trees = 10
        let model = try GBDTTrainer(parameters: p).train(DenseMatrix(rows), labels: rows.map { $0[0] * 10 }).model
        let importance = model.featureImportance()
        #expect((importance[0]?.totalGain ?? 0) > 100 * (importance[1]?.totalGain ?? 0))
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
