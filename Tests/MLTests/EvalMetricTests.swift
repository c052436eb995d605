import Testing
@testable import TrainyardML

/// `eval_metric`: the validation metric of each round and of early stopping.
struct EvalMetricTests {
    @Test func roundsReportTheChosenMetricAndEarlyStoppingKeepsItsBestRound() throws {
        let (x, y) = syntheticClassification(rows: 3000, seed: 4, missingRate: 0)
        let (vx, vy) = syntheticClassification(rows: 1000, seed: 5, missingRate: 0)
        var p = GBDTParameters()
        p.trees = 60
        p.eta = 0.5
        p.evalMetric = "auc"
        p.earlyStoppingRounds = 5
        let result = try GBDTTrainer(parameters: p).train(x, labels: y, validation: (vx, vy))
        #expect(result.history.allSatisfy { $0.metric == "auc" })
        // Each round's value is the AUC of the model so far on the validation rows.
        let model = try #require(result.bestRound.map { result.model.truncated(toRounds: $0) })
        let auc = try #require(Metrics.auc(labels: vy, scores: model.predict(vx)))
        let best = try #require(result.history.compactMap(\.valid).max())
        #expect(abs(best - auc) < 1e-12)
        #expect(result.history.first { $0.valid == best }?.round == result.bestRound)
        // Higher is better: the kept round has the largest AUC, and training stopped 5 rounds after it (or ran out).
        #expect(result.history.count == min(60, result.bestRound! + 5))
    }

    @Test func theDefaultIsTheObjectivesLossAndAMetricItDoesNotReportIsRefused() throws {
        let (x, y) = syntheticClassification(rows: 500, seed: 4, missingRate: 0)
        var p = GBDTParameters()
        p.trees = 3
        let plain = try GBDTTrainer(parameters: p).train(x, labels: y, validation: (x, y))
        #expect(plain.history.allSatisfy { $0.metric == "logloss" })
        p.evalMetric = "rmse"
        #expect(throws: ParameterError.invalid("eval_metric", "binary:logistic reports auc, logloss, accuracy; got 'rmse'")) {
            try GBDTTrainer(parameters: p)
        }
        p.evalMetric = "f1"
        #expect(throws: ParameterError.self) { try p.validate() }
    }
}
