import Foundation
import Testing
@testable import TrainyardML

struct MetricsTests {
    @Test func aucOfTheTextbookExample() {
        #expect(Metrics.auc(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8]) == 0.75)
        #expect(Metrics.auc(labels: [0, 1], scores: [0.5, 0.5]) == 0.5)        // a tie counts one half
        #expect(Metrics.auc(labels: [1, 1], scores: [0.2, 0.3]) == nil)
    }

    @Test func lossesByHand() {
        // −(ln 0.8 + ln 0.6) / 2 = (0.2231436 + 0.5108256) / 2
        #expect(abs(Metrics.logLoss(labels: [1, 0], probabilities: [0.8, 0.4]) - 0.3669846) < 1e-7)
        #expect(Metrics.accuracy(labels: [1, 0, 1], probabilities: [0.8, 0.4, 0.3]) == 2.0 / 3)
        #expect(Metrics.rmse(labels: [1, 2], predictions: [2, 4]) == (2.5).squareRoot())
        #expect(Metrics.mae(labels: [1, 2], predictions: [2, 4]) == 1.5)
        let probabilities: [Float] = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6]
        #expect(abs(Metrics.multiLogLoss(labels: [0, 2], probabilities: probabilities, classes: 3)
                    - (-(log(0.7) + log(0.6)) / 2)) < 1e-7)
        #expect(Metrics.multiAccuracy(labels: [0, 1], probabilities: probabilities, classes: 3) == 0.5)
    }
}
