import Testing
@testable import Tuning

struct SchedulerTests {
    @Test func quantilesInterpolateAsNumpyDoes() {
        #expect(ASHAScheduler.quantile([4, 1, 3, 2], 0.5) == 2.5)
        #expect(ASHAScheduler.quantile([1, 2, 3, 4], 1.0 / 3) == 2)          // position 1 of 0…3
        #expect(ASHAScheduler.quantile([10], 0.3) == 10)
        #expect(ASHAScheduler.quantile([], 0.5) == nil)
    }

    @Test func ashaRungsAreGraceTimesEtaToTheK() {
        #expect(ASHAScheduler(grace: 1, maxResource: 100, reductionFactor: 3).rungs == [[1, 3, 9, 27, 81]])
        #expect(ASHAScheduler(grace: 10, maxResource: 100, reductionFactor: 3, brackets: 3).rungs == [[10, 30, 90], [30, 90], [90]])
    }

    /// Hand-worked: η = 3, rungs at 1 and 3. Trial 0 reaches rung 1 first (nothing recorded: goes on), trial 1 with
    /// a worse loss (one value recorded, 1/3 quantile = 0.5 < 0.7: stops), trial 2 better (quantile of [0.5, 0.7]
    /// at 1/3 = 0.5667; 0.4 goes on), trial 3 at 0.6 (quantile of [0.4, 0.5, 0.7] = 0.4667: stops).
    @Test func ashaStopsWhatIsWorseThanTheBestThirdRecordedSoFar() {
        var asha = ASHAScheduler(grace: 1, maxResource: 9, reductionFactor: 3)
        #expect(asha.report(trial: 0, resource: 1, loss: 0.5) == .continue)
        #expect(asha.report(trial: 1, resource: 1, loss: 0.7) == .stop)
        #expect(asha.report(trial: 2, resource: 1, loss: 0.4) == .continue)
        #expect(asha.report(trial: 3, resource: 1, loss: 0.6) == .stop)
        // Between rungs nothing is decided; each rung judges a trial once.
        #expect(asha.report(trial: 0, resource: 2, loss: 0.9) == .continue)
        #expect(asha.report(trial: 0, resource: 3, loss: 0.45) == .continue)
        #expect(asha.report(trial: 2, resource: 3, loss: 0.3) == .continue)
        #expect(asha.report(trial: 0, resource: 3, loss: 0.1) == .continue)
    }

    @Test func theMedianRuleWaitsForStartupTrialsAndWarmup() {
        var median = MedianStoppingScheduler(startupTrials: 2, warmup: 1)
        #expect(median.report(trial: 0, resource: 2, loss: 1) == .continue)
        #expect(median.report(trial: 1, resource: 2, loss: 3) == .continue)   // one other trial: too few
        #expect(median.report(trial: 2, resource: 1, loss: 9) == .continue)   // within the warmup
        #expect(median.report(trial: 2, resource: 2, loss: 2.5) == .stop)     // median of [1, 3] is 2
        #expect(median.report(trial: 3, resource: 2, loss: 1.5) == .continue)
    }
}
