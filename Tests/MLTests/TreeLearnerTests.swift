import Testing
@testable import TrainyardML

/// The tree learner on data small enough to work out by hand.
struct TreeLearnerTests {
    func parameters(depth: Int = 1) -> GBDTParameters {
        var p = GBDTParameters()
        p.objective = .squaredError
        p.trees = 1
        p.maxDepth = depth
        p.eta = 1
        p.lambda = 0
        p.minChildWeight = 0
        p.baseScore = 2
        p.threads = 1
        return p
    }

    @Test func regressionStumpByHand() throws {
        // y = [1, 1, 3, 3], base 2 → g = [1, 1, −1, −1], h = 1. With λ = 0 the split between
        // x = 2 and x = 3 gains 2²/2 + 2²/2 − 0 = 4 (the others 4/3), weights ∓1.
        let x = DenseMatrix([[1], [2], [3], [4]])
        let result = try GBDTTrainer(parameters: parameters()).train(x, labels: [1, 1, 3, 3])
        let tree = result.model.trees[0]
        #expect(tree.nodeCount == 3)
        #expect(tree.feature[0] == 0 && tree.threshold[0] == 3)
        #expect(tree.lossChange[0] == 4)
        #expect(tree.value[Int(tree.left[0])] == -1 && tree.value[Int(tree.right[0])] == 1)
        #expect(result.model.predict(x) == [1, 1, 3, 3])
    }

    @Test func missingValuesLearnTheirDirection() throws {
        // A fifth row with x missing and y = 3 (g = −1) belongs with the right side. Parent
        // (G, H) = (−1, 5) gains 1/5. At x < 3 with missing right: left (2, 2) → 2, right
        // (−3, 3) → 3, loss 2 + 3 − 0.2 = 4.8; with missing left: left (1, 3) → 1/3, right
        // (−2, 2) → 2, loss 2.13. Right wins.
        let x = DenseMatrix([[1], [2], [3], [4], [.nan]])
        let result = try GBDTTrainer(parameters: parameters()).train(x, labels: [1, 1, 3, 3, 3])
        let tree = result.model.trees[0]
        #expect(tree.defaultLeft[0] == false)
        #expect(abs(tree.lossChange[0] - 4.8) < 1e-6)
        #expect(result.model.predict(DenseMatrix([[.nan]])) == [3])
    }

    @Test func depthTwoTreeByHand() throws {
        // y = [0, 2, 4, 6], base 3 → g = [3, 1, −1, −3]. Root: best split x < 3 (loss 8²/… = 16/2·2 = 16).
        // Each child then splits its two rows: weights −(3), −(1), −(−1), −(−3) → leaves −3, −1, 1, 3.
        var p = parameters(depth: 2)
        p.baseScore = 3
        let x = DenseMatrix([[1], [2], [3], [4]])
        let model = try GBDTTrainer(parameters: p).train(x, labels: [0, 2, 4, 6]).model
        #expect(model.trees[0].nodeCount == 7)
        #expect(model.trees[0].lossChange[0] == 16)
        #expect(model.predict(x) == [0, 2, 4, 6])
    }

    @Test func gammaPrunesSplitsThatGainTooLittle() throws {
        var p = parameters()
        p.gamma = 4.5                       // the best split gains 4
        let model = try GBDTTrainer(parameters: p).train(DenseMatrix([[1], [2], [3], [4]]), labels: [1, 1, 3, 3]).model
        #expect(model.trees[0].nodeCount == 1)
        #expect(model.predict(DenseMatrix([[1]])) == [2])
    }

    @Test func minChildWeightBlocksLightChildren() throws {
        var p = parameters()
        p.minChildWeight = 3                // no side of 4 unit-hessian rows can hold 3 with the other also ≥ 3
        let model = try GBDTTrainer(parameters: p).train(DenseMatrix([[1], [2], [3], [4]]), labels: [1, 1, 3, 3]).model
        #expect(model.trees[0].nodeCount == 1)
    }
}
