import Testing
@testable import Tuning

struct StudyTests {
    let space = SearchSpace(parameters: [.init(name: "x", distribution: .uniform(low: -1, high: 1))])

    @Test func aStudyRunsItsBudgetWithinItsParallelismAndKeepsTheBest() {
        var study = Study(sampler: RandomSampler(space: space, seed: 3), direction: .maximize, maxTrials: 5, parallel: 2)
        let first = study.startTrial(), second = study.startTrial()
        #expect(first?.id == 0 && second?.id == 1 && study.startTrial() == nil)   // two at a time
        study.finish(trial: 0, value: 0.7)
        #expect(study.startTrial()?.id == 2)
        study.finish(trial: 1, value: 0.9)
        study.finish(trial: 2, value: nil, failed: true)
        while let trial = study.startTrial() { study.finish(trial: trial.id, value: 0.8) }
        #expect(study.trials.count == 5 && study.isFinished)
        #expect(study.best?.id == 1 && study.trials[2].state == .failed)
    }

    @Test func aSeededStudyProposesTheSameTrials() {
        func run() -> [[String: ParameterValue]] {
            var study = Study(sampler: RandomSampler(space: space, seed: 42), direction: .minimize, maxTrials: 8)
            var seen: [[String: ParameterValue]] = []
            while let trial = study.startTrial() {
                seen.append(trial.parameters)
                study.finish(trial: trial.id, value: trial.parameters["x"]!.number!)
            }
            return seen
        }
        #expect(run() == run())
    }

    @Test func aTrialTheSchedulerStopsIsPrunedWithItsLastValue() {
        var study = Study(sampler: RandomSampler(space: space, seed: 1), scheduler: ASHAScheduler(grace: 1, maxResource: 9),
                          direction: .maximize, maxTrials: 2, parallel: 2)
        _ = study.startTrial(); _ = study.startTrial()
        #expect(study.report(trial: 0, resource: 1, loss: 0.3) == .continue)
        #expect(study.report(trial: 1, resource: 1, loss: 0.5) == .stop)
        #expect(study.trials[1].state == .pruned && study.trials[1].intermediate == [1: 0.5])
        study.finish(trial: 1, value: 0.6)                                     // a pruned trial stays pruned, with its model's value
        #expect(study.trials[1].state == .pruned && study.trials[1].value == 0.6 && study.running == 1)
        study.finish(trial: 0, value: 0.95)
        #expect(study.isFinished && study.best?.id == 0)
    }

    @Test func aFinishedGridEndsTheStudyEarly() {
        let grid = SearchSpace(parameters: [.init(name: "k", distribution: .choice([.int(1), .int(2)]))])
        var study = Study(sampler: GridSampler(space: grid), direction: .minimize, maxTrials: 10)
        while let trial = study.startTrial() { study.finish(trial: trial.id, value: 1) }
        #expect(study.trials.count == 2 && study.isFinished)
    }
}
