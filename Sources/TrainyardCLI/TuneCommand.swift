import ArgumentParser
import Foundation
import TrainyardML
import Tuning

/// `trainyard tune`: a hyperparameter study on this machine.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
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

    enum Strategy: String, ExpressibleByArgument, CaseIterable { case random, grid, tpe, asha, hyperband }

    @OptionGroup var training: TrainingOptions
    @Option(help: "The search space (YAML).") var space: String
    @Option(help: "random, grid, tpe, asha or hyperband.") var strategy = Strategy.tpe
    @Option(help: "Trials in all.") var trials = 20
    @Option(help: "Trials at once.") var parallel = 1
    @Option(help: "The metric to optimise, e.g. valid.auc, valid.logloss, valid.rmse.") var metric = "valid.auc"
    @Option(help: "maximize or minimize (default: the metric's natural direction).") var direction: Direction?
    @Option(help: "asha, hyperband: the first rung, in boosting rounds.") var grace = 10
    @Flag(help: "Stop trials worse than the median of earlier trials at the same round.") var medianStopping = false
    @Option(help: "grid: values per real parameter.") var gridPoints = 5
    @Option(help: "Write the best trial's model here.") var out: String?
    @Flag(help: "Print one JSON line per trial and a summary.") var json = false

    func run() throws {
        var base = training.spec
        if base.validationPath == nil && base.validFraction == nil { base.validFraction = 0.2 }
        try base.validate()
        let spaceText = try String(contentsOfFile: space, encoding: .utf8)
        let searchSpace = try Self.parse(spaceText, file: space)
        guard trials >= 1, parallel >= 1 else { throw CommandFailure("--trials and --parallel must be at least 1") }
        guard grace >= 1, grace < base.gbdt.trees else { throw CommandFailure("--grace must be between 1 and --n-trees − 1, got \(grace)") }
        let grid = strategy == .grid ? GridSampler(space: searchSpace, realPoints: gridPoints) : nil
        if let size = grid?.points.count {
            guard size <= trials else { throw CommandFailure("the grid has \(size) points but --trials is \(trials); raise --trials or narrow the space") }
        }
        let (train, validation) = try base.load()
        DataOptions.reportSkipped(base, train: train, validation: validation)
        // The metric must be one the objective reports: infer the objective as training would.
        let probe = try TrainingPipeline.objective(base, train: train)
        let tuningMetric = try Self.metric(metric, direction: direction, objective: probe)

        // --seed seeds the sampler as well as every trial's sampling and validation split.
        let seed = base.gbdt.seed
        let sampler: any Sampler = switch strategy {
        case .grid: grid ?? GridSampler(space: searchSpace, realPoints: gridPoints)
        case .tpe: TPESampler(space: searchSpace, direction: tuningMetric.direction, seed: seed)
        case .random, .asha, .hyperband: RandomSampler(space: searchSpace, seed: seed)
        }
        let scheduler: any TrialScheduler = switch strategy {
        case .asha: ASHAScheduler(grace: grace, maxResource: base.gbdt.trees)
        case .hyperband: ASHAScheduler(grace: grace, maxResource: base.gbdt.trees, brackets: 3)
        default: medianStopping ? MedianStoppingScheduler(warmup: grace) : FIFOScheduler()
        }
        let study = Study(sampler: sampler, scheduler: scheduler, direction: tuningMetric.direction, maxTrials: trials, parallel: parallel)
        if !json {
            print("tuning \(searchSpace.parameters.map(\.name).joined(separator: ", ")) on \(train.rows) rows: \(strategy.rawValue), "
                  + "\(trials) trials, \(parallel) at a time, \(tuningMetric.direction.rawValue) \(tuningMetric.name)")
        }
        let start = ContinuousClock.now
        let tuner = LocalTuner(base: base, metric: tuningMetric, judgesRounds: !(scheduler is FIFOScheduler))
        let json = json
        let (finished, best) = tuner.run(study, train: train, validation: validation, software: "trainyard \(Trainyard.version)",
                                         datasetSHA256: try FileFingerprint.sha256(path: base.data.path)) { event in
            guard case .finished(let trial, let seconds, let best) = event else { return }
            if json {
                printJSON(["event": "trial", "trial": trial.id, "state": trial.state.rawValue, "value": trial.value,
                           "rounds": trial.intermediate.keys.max(), "seconds": seconds,
                           "parameters": trial.parameters.mapValues(\.description)])
            } else {
                print(Self.line(trial, seconds: seconds, metric: tuningMetric.name) + "  (best \(best?.value.map(Format.metric) ?? "-"))")
                fflush(nil)
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let counts = Dictionary(grouping: finished.trials, by: \.state).mapValues(\.count)
        guard let bestTrial = finished.best, let best else { throw CommandFailure("no trial finished (\(counts.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")))") }
        // Lineage: the study that chose this model, kept in its training record (and so in the registry once published).
        let lineage = ["tuning.strategy": strategy.rawValue, "tuning.trial": "\(bestTrial.id) of \(finished.trials.count)",
                       "tuning.metric": "\(tuningMetric.direction.rawValue) \(tuningMetric.name)", "tuning.space": spaceText,
                       "tuning.seed": "\(seed)"]
        if let out { try ModelFile.write(Self.withLineage(best, lineage), to: out) }
        if json {
            printJSON(["event": "done", "best_trial": bestTrial.id, "best_value": bestTrial.value, "metric": tuningMetric.name,
                       "parameters": bestTrial.parameters.mapValues(\.description), "seconds": seconds, "model": out,
                       "complete": counts[.complete] ?? 0, "pruned": counts[.pruned] ?? 0, "failed": counts[.failed] ?? 0])
        } else {
            print(String(format: "%d trials in %.1f s: %d complete, %d pruned, %d failed", finished.trials.count, seconds,
                         counts[.complete] ?? 0, counts[.pruned] ?? 0, counts[.failed] ?? 0))
            print("best: trial \(bestTrial.id), \(tuningMetric.name) \(Format.metric(bestTrial.value ?? .nan))  "
                  + Self.parameters(bestTrial))
            if let out { print("best model written to \(out)") }
        }
    }

    /// The space in `text` (from `file`), every parameter a training parameter.
    static func parse(_ text: String, file: String) throws -> SearchSpace {
        do {
            let space = try SearchSpace.parse(yaml: text)
            try TrainingParameterNames.check(space)
            return space
        } catch {
            throw CommandFailure("\(file): \(error)")
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

    static func parameters(_ trial: TrialRecord) -> String {
        trial.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.format($0.value))" }.joined(separator: " ")
    }

    static func format(_ value: ParameterValue) -> String {
        if case .double(let number) = value { return String(format: "%.4g", number) }
        return value.description
    }

    static func line(_ trial: TrialRecord, seconds: Double, metric: String) -> String {
        let rounds = trial.intermediate.keys.max().map { " \($0) rounds" } ?? ""
        return String(format: "trial %3d  %-8@ %@ %@  %.1f s%@  ", trial.id, trial.state.rawValue as NSString, metric as NSString,
                      Format.metric(trial.value ?? .nan) as NSString, seconds, rounds as NSString) + parameters(trial)
    }
}

extension Direction: ExpressibleByArgument {}
