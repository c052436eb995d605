import ArgumentParser
import Foundation
import Tuning

/// The options of a study, shared by `trainyard tune` (this machine) and `trainyard submit tune` (a coordinator).
struct StudyOptions: ParsableArguments {
    @Option(help: "The search space (YAML).") var space: String
    @Option(help: "random, grid, tpe, asha or hyperband.") var strategy = StudyPlan.Strategy.tpe
    @Option(help: "Trials in all.") var trials = 20
    @Option(help: "Trials at once.") var parallel = 1
    @Option(help: "The metric to optimise, e.g. valid.auc, valid.logloss, valid.rmse.") var metric = "valid.auc"
    @Option(help: "maximize or minimize (default: the metric's natural direction).") var direction: Direction?
    @Option(help: "asha, hyperband: the first rung, in boosting rounds.") var grace = 10
    @Flag(help: "Stop trials worse than the median of earlier trials at the same round.") var medianStopping = false
    @Option(help: "grid: values per real parameter.") var gridPoints = 5

    /// The plan, the space read from --space.
    func plan(workersPerTrial: Int = 1) throws -> StudyPlan {
        let text: String
        do { text = try String(contentsOfFile: space, encoding: .utf8) } catch {
            throw CommandFailure("cannot read the search space \(space): \(error.localizedDescription)")
        }
        return plan(space: text, workersPerTrial: workersPerTrial)
    }

    /// The plan over the search space `text` (YAML).
    func plan(space text: String, workersPerTrial: Int = 1) -> StudyPlan {
        StudyPlan(space: text, strategy: strategy, trials: trials, parallel: parallel, metric: metric, direction: direction,
                  grace: grace, medianStopping: medianStopping, gridPoints: gridPoints, workersPerTrial: workersPerTrial)
    }
}

extension Direction: ExpressibleByArgument {}
extension StudyPlan.Strategy: ExpressibleByArgument {}
