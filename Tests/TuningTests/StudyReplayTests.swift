import Testing
@testable import Tuning

/// A study rebuilt from its journal (a coordinator restart) is the study it was: same trials,
/// same scheduler state, same next proposals.
struct StudyReplayTests {
    let space = SearchSpace(parameters: [.init(name: "x", distribution: .uniform(low: -2, high: 2)),
                                         .init(name: "k", distribution: .int(low: 1, high: 9, step: 1, log: false))])

    func tpeStudy() -> Study {
        Study(sampler: TPESampler(space: space, direction: .minimize, seed: 11, startupTrials: 3),
              scheduler: ASHAScheduler(grace: 1, maxResource: 9), direction: .minimize, maxTrials: 12, parallel: 3)
    }

    /// Runs `steps` steps of a study with three trials at a time, journaling each event; trials
    /// report at rounds 1, 3, 9 a loss that depends on x, and some are pruned.
    func run(_ study: inout Study, steps: Int, journal: inout [StudyEvent]) {
        var step = 0
        while step < steps, !study.isFinished {
            while let trial = study.startTrial() { journal.append(.started(trial: trial.id, parameters: trial.parameters)) }
            guard let running = study.trials.first(where: { $0.state == .running }) else { break }
            let x = running.parameters["x"]!.number!
            var value: Double? = nil
            for round in [1, 3, 9] {
                let loss = x * x + 1 / Double(round)
                journal.append(.reported(trial: running.id, resource: round, loss: loss))
                value = loss
                if study.report(trial: running.id, resource: round, loss: loss) == .stop { break }
            }
            study.finish(trial: running.id, value: value)
            journal.append(.finished(trial: running.id, value: value, failed: false))
            step += 1
        }
    }

    @Test func aReplayedJournalGivesTheSameStudyAndTheSameNextTrials() {
        var original = tpeStudy(), journal: [StudyEvent] = []
        run(&original, steps: 7, journal: &journal)
        var replayed = tpeStudy()
        replayed.replay(journal)
        #expect(replayed.trials == original.trials)
        #expect(replayed.trials.contains { $0.state == .pruned } && replayed.trials.contains { $0.state == .running })
        // Both continue identically: the sampler's generator and the scheduler's rungs were restored.
        var a = original, b = replayed, journalA: [StudyEvent] = [], journalB: [StudyEvent] = []
        run(&a, steps: 20, journal: &journalA)
        run(&b, steps: 20, journal: &journalB)
        #expect(journalA == journalB && a.trials == b.trials && a.best == b.best)
    }

    @Test func aStartedTrialKeepsTheParametersItRanWith() {
        var study = Study(sampler: RandomSampler(space: space, seed: 1), direction: .minimize, maxTrials: 3)
        let ran: [String: ParameterValue] = ["x": .double(0.5), "k": .int(4)]
        study.replay([.started(trial: 0, parameters: ran), .finished(trial: 0, value: 0.25, failed: false)])
        #expect(study.trials[0].parameters == ran && study.trials[0].state == .complete && study.trials[0].value == 0.25)
        #expect(study.startTrial()?.id == 1)
    }

    @Test func plansAreRefusedNamingTheField() throws {
        let space = "eta: {uniform: [0.1, 0.3]}\nmax_depth: {int: [2, 8]}"
        let cases: [(StudyPlan, String)] = [
            (StudyPlan(space: "learning_rte: {uniform: [0.1, 0.3]}"), "learning_rte: not a training parameter"),
            (StudyPlan(space: "eta: {uniform: [0.3, 0.1]}"), "eta: uniform range is empty"),
            (StudyPlan(space: space, trials: 0), "trials: must be at least 1"),
            (StudyPlan(space: space, parallel: 0), "parallel: must be at least 1"),
            (StudyPlan(space: space, workersPerTrial: 0), "workersPerTrial: must be at least 1"),
            (StudyPlan(space: space, strategy: .asha, grace: 50), "grace: must be between 1 and a trial's rounds (trees, or iterations of a linear model) − 1 (49)"),
            (StudyPlan(space: space, strategy: .grid, trials: 10), "trials: the grid has 35 points but trials is 10"),
            (StudyPlan(space: space, metric: "valid.f1"), "metric: no objective reports 'valid.f1'"),
        ]
        for (plan, message) in cases {
            #expect(throws: StudyPlanError.self) { try plan.check(rounds: 50) }
            do { try plan.check(rounds: 50) } catch { #expect(error.description.contains(message), "\(error)") }
        }
        try StudyPlan(space: space, strategy: .grid, trials: 35).check(rounds: 50)
    }
}
