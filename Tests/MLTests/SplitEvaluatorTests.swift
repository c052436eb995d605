import Testing
@testable import TrainyardML

struct SplitEvaluatorTests {
    func evaluator(lambda: Double = 1, alpha: Double = 0, minChildWeight: Double = 1) -> SplitEvaluator {
        var parameters = GBDTParameters()
        parameters.lambda = lambda
        parameters.alpha = alpha
        parameters.minChildWeight = minChildWeight
        return SplitEvaluator(parameters: parameters)
    }

    @Test func gainAndWeightByHand() {
        let e = evaluator()
        // gain(G, H) = G² / (H + λ)
        #expect(e.gain(g: -2, h: 2) == 4.0 / 3)
        #expect(e.gain(g: 3, h: 2) == 3)
        // Split (−2, 2) | (3, 2) of parent (1, 4): 4/3 + 9/3 − 1/5.
        let loss = e.gain(g: -2, h: 2) + e.gain(g: 3, h: 2) - e.gain(g: 1, h: 4)
        #expect(abs(loss - 4.133333333) < 1e-9)
        #expect(e.weight(g: -2, h: 2) == 2.0 / 3)
    }

    @Test func l1ShrinksGradientSumsByAlpha() {
        let e = evaluator(alpha: 1)
        #expect(e.gain(g: -2, h: 2) == 1.0 / 3)      // T(−2) = −1
        #expect(e.gain(g: 3, h: 2) == 4.0 / 3)       // T(3) = 2
        #expect(e.gain(g: 0.5, h: 2) == 0)           // |G| ≤ α
        #expect(e.weight(g: 3, h: 2) == -2.0 / 3)
    }
}
