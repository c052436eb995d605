import ArgumentParser
import Foundation
import TrainyardML
import Tuning

/// `trainyard tune`: a hyperparameter study on this machine.
struct TuneRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Search hyperparameters on this machine: trials in parallel, early stopping, the best model saved.",
        discussion: """
        Takes every `trainyard train` option as the base of each trial (--n-trees is a trial's full budget of boosting \
        rounds) and a search space in YAML (--space) whose parameters override them, e.g.:

          eta: {loguniform: [0.01, 0.3]}
          max_depth: {int: [3, 10]}
          subsample: {uniform: [0.5, 1.0]}
          model: {choice: [gbdt, linear]}          # conditional: add `when: {model: gbdt}` to tree parameters

        Strategies: random, grid (every combination; reals at --grid-points values), tpe (Optuna's defaults: 10 random \
        startup trials, 24 candidates), asha (random trials, stopped at rungs of --grace × 3^k rounds unless in the best \
        third so far), hyperband (asha over three brackets). --median-stopping stops, under any strategy, a trial whose \
        validation metric is worse than the median of earlier trials at the same round. Rungs and the median rule compare \
        trials by --metric after each round (it is every trial's --eval-metric); the best finished trial wins. Validation rows: \
        --valid FILE or --valid-fraction (0.2 when neither is given), the same for every trial. --seed also seeds the sampler: \
        with --parallel 1 a study is repeatable.
        """
    )

    @OptionGroup var training: TrainingOptions
    @OptionGroup var options: StudyOptions
    @Option(help: "Write the best trial's model here.") var out: String?
    @Flag(help: "Print one JSON line per trial and a summary.") var json = false

    func run() throws {
        try training.requireFile()
        var base = training.spec
        if base.validationPath == nil && base.validFraction == nil { base.validFraction = 0.2 }
        try base.validate()
        let plan = try options.plan()
        let searchSpace: SearchSpace
        do { searchSpace = try plan.check(rounds: StudyPlan.budget(of: base)) } catch { throw CommandFailure("\(options.space): \(error)") }
        let (train, validation) = try base.load()
        DataOptions.reportSkipped(base, train: train, validation: validation)
        // The metric must be one the objective reports: infer the objective as training would.
        let probe = try TrainingPipeline.objective(base, train: train)
        let tuningMetric = try Self.metric(plan.metric, direction: plan.direction, objective: probe)
        // --seed seeds the sampler as well as every trial's sampling and validation split.
        let seed = base.gbdt.seed
        let study = try plan.study(metric: tuningMetric, rounds: StudyPlan.budget(of: base), seed: seed)
        if !json {
            print("tuning \(searchSpace.parameters.map(\.name).joined(separator: ", ")) on \(train.rows) rows: \(plan.strategy.rawValue), "
                  + "\(plan.trials) trials, \(plan.parallel) at a time, \(tuningMetric.direction.rawValue) \(tuningMetric.name)")
        }
        let start = ContinuousClock.now
        let tuner = LocalTuner(base: base, metric: tuningMetric, judgesRounds: plan.judgesRounds)
        let json = json
        let (finished, best) = tuner.run(study, train: train, validation: validation, software: "trainyard \(Trainyard.version)",
                                         datasetSHA256: try FileFingerprint.sha256(path: base.data.path)) { event in
            guard case .finished(let trial, let seconds, let best) = event else { return }
            if json {
                printJSON(["event": "trial", "trial": trial.id, "state": trial.state.rawValue, "value": trial.value,
                           "rounds": trial.intermediate.keys.max(), "seconds": seconds,
                           "parameters": trial.parameters.mapValues(\.description)])
            } else {
                print(TuneCommand.line(trial.id, state: trial.state, value: trial.value, rounds: trial.intermediate.keys.max(), seconds: seconds, parameters: trial.parameters, metric: tuningMetric.name) + "  (best \(best?.value.map(Format.metric) ?? "-"))")
                fflush(nil)
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let counts = Dictionary(grouping: finished.trials, by: \.state).mapValues(\.count)
        guard let bestTrial = finished.best, let best else { throw CommandFailure("no trial finished (\(counts.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")))") }
        // Lineage: the study that chose this model, kept in its training record (and so in the registry once published).
        let lineage = plan.lineage(trial: bestTrial.id, of: finished.trials.count, metric: tuningMetric, seed: seed)
        if let out { try ModelFile.write(Self.withLineage(best, lineage), to: out) }
        if json {
            printJSON(["event": "done", "best_trial": bestTrial.id, "best_value": bestTrial.value, "metric": tuningMetric.name,
                       "parameters": bestTrial.parameters.mapValues(\.description), "seconds": seconds, "model": out,
                       "complete": counts[.complete] ?? 0, "pruned": counts[.pruned] ?? 0, "failed": counts[.failed] ?? 0])
        } else {
            print(String(format: "%d trials in %.1f s: %d complete, %d pruned, %d failed", finished.trials.count, seconds,
                         counts[.complete] ?? 0, counts[.pruned] ?? 0, counts[.failed] ?? 0))
            print("best: trial \(bestTrial.id), \(tuningMetric.name) \(Format.metric(bestTrial.value ?? .nan))  "
                  + TuneCommand.parameters(bestTrial.parameters))
            if let out { print("best model written to \(out)") }
        }
    }

    /// `name` as a metric `objective` reports.
    static func metric(_ name: String, direction: Direction?, objective: Objective) throws -> TuningMetric {
        do { return try TuningMetric(name, direction: direction, objective: objective) } catch { throw CommandFailure(error.description) }
    }

    /// `model` with `lineage` added to its training record's parameters.
    static func withLineage(_ model: TrainyardModel, _ lineage: [String: String]) -> TrainyardModel {
        var model = model
        model.training.parameters.merge(lineage) { $1 }
        return model
    }
}
