import Foundation
import Testing
@testable import TrainyardML

struct LinearModelTests {
    @Test func ridgeRegressionMatchesTheClosedForm() throws {
        // min Σ ½(wx + b − y)² + ½w²: w = Sxy / (Sxx + 1) = 9.5 / 6, b = ȳ − w·x̄.
        var p = LinearParameters()
        p.objective = .squaredError
        p.lambda = 1
        let result = try LinearTrainer(parameters: p).train(DenseMatrix([[1], [2], [3], [4]]), labels: [2, 4, 5, 8])
        #expect(abs(result.model.weights[0] - 9.5 / 6) < 1e-7)
        #expect(abs(result.model.bias - (4.75 - 2.5 * 9.5 / 6)) < 1e-7)
        #expect(result.converged)
    }

    @Test func logisticRegressionReachesAStationaryPoint() throws {
        let (x, y) = syntheticClassification(rows: 3000, seed: 11, missingRate: 0)
        let result = try LinearTrainer(parameters: LinearParameters()).train(x, labels: y)
        // The gradient of Σ loss + ½‖w‖² vanishes at the optimum.
        var w = result.model.weights + [result.model.bias]
        var stats = LinearLoss(objective: .binaryLogistic).statistics(features: x, labels: y, parameters: w, threads: 1)
        for j in 0..<x.columns { stats.gradient[j] += w[j] }
        #expect(stats.gradient.map(abs).max()! < 1e-4 * stats.loss)
        // And moving any weight a little only makes the objective worse.
        w[0] += 1e-3
        var nearby = LinearLoss(objective: .binaryLogistic).statistics(features: x, labels: y, parameters: w, threads: 1)
        nearby.loss += 0.5 * w.prefix(x.columns).reduce(0) { $0 + $1 * $1 }
        #expect(nearby.loss > result.objectiveValue)
        let auc = Metrics.auc(labels: y, scores: result.model.predict(x))!
        #expect(auc > 0.6)
    }

    @Test func missingValuesAndBadParametersAreRejected() {
        #expect(throws: ParameterError.self) {
            try LinearTrainer(parameters: LinearParameters()).train(DenseMatrix([[1], [.nan]]), labels: [0, 1])
        }
        var p = LinearParameters()
        p.objective = .softprob(numClass: 3)
        #expect(throws: ParameterError.self) { try LinearTrainer(parameters: p) }
    }
}
