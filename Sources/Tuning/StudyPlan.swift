import TrainyardML

/// A study as a user asks for it (`trainyard tune`, `trainyard submit tune`): the search space,
/// the strategy and the budget. With a base training spec and the data it makes a ``Study``.
///
/// The coordinator receives it in JOB_SUBMIT and keeps it with the study's job, so a restarted
/// coordinator rebuilds the same study and replays its ``StudyEvent``s.
public struct StudyPlan: Sendable, Codable, Equatable {
    /// How trials are proposed and stopped.
    public enum Strategy: String, Sendable, Codable, CaseIterable {
        /// Independent draws; every trial trains to the end.
        case random
        /// Every combination of the space's grid values (reals at `gridPoints` values).
        case grid
        /// Tree-structured Parzen Estimator with Optuna's defaults (``TPESampler``).
        case tpe
        /// Random trials stopped at rungs of `grace × 3^k` rounds (``ASHAScheduler``).
        case asha
        /// ASHA over three brackets.
        case hyperband
    }

    /// The search space in YAML (``SearchSpace/parse(yaml:)``), kept as the user wrote it.
    public var space: String
    public var strategy: Strategy
    /// Trials in all, and at most this many at once.
    public var trials: Int
    public var parallel: Int
    /// The metric to optimise (`valid.auc`, `valid.logloss`, …) and its direction (default: the metric's natural one).
    public var metric: String
    public var direction: Direction?
    /// asha, hyperband: the first rung in boosting rounds; the median rule's warm-up.
    public var grace: Int
    /// Stops, under any strategy, a trial worse than the median of earlier trials at the same round.
    public var medianStopping: Bool
    /// grid: values per real parameter.
    public var gridPoints: Int
    /// Workers each trial trains on (on a coordinator; 1 grows whole trees on one worker).
    public var workersPerTrial: Int

    public init(space: String, strategy: Strategy = .tpe, trials: Int = 20, parallel: Int = 1, metric: String = "valid.auc",
                direction: Direction? = nil, grace: Int = 10, medianStopping: Bool = false, gridPoints: Int = 5,
                workersPerTrial: Int = 1) {
        self.space = space
        self.strategy = strategy
        self.trials = trials
        self.parallel = parallel
        self.metric = metric
        self.direction = direction
        self.grace = grace
        self.medianStopping = medianStopping
        self.gridPoints = gridPoints
        self.workersPerTrial = workersPerTrial
    }

    /// The space, every parameter a training parameter.
    public func searchSpace() throws(StudyPlanError) -> SearchSpace {
        do {
            let space = try SearchSpace.parse(yaml: self.space)
            try TrainingParameterNames.check(space)
            return space
        } catch {
            throw .space(error)
        }
    }

    /// Checks everything that can be checked without the data, for a base spec training
    /// `rounds` boosting rounds: the space, the counts, the grace period, the grid's size, and
    /// that some objective reports the metric. Throws naming the field; returns the space.
    @discardableResult
    public func check(rounds: Int) throws(StudyPlanError) -> SearchSpace {
        let space = try searchSpace()
        guard trials >= 1 else { throw .invalid("trials", "must be at least 1, got \(trials)") }
        guard parallel >= 1 else { throw .invalid("parallel", "must be at least 1, got \(parallel)") }
        guard workersPerTrial >= 1 else { throw .invalid("workersPerTrial", "must be at least 1, got \(workersPerTrial)") }
        guard gridPoints >= 1 else { throw .invalid("gridPoints", "must be at least 1, got \(gridPoints)") }
        // The grace period matters only where rounds are judged.
        guard grace >= 1, grace < rounds || !judgesRounds else {
            throw .invalid("grace", "must be between 1 and a trial's rounds (trees, or iterations of a linear model) − 1 (\(rounds - 1)), got \(grace)")
        }
        if strategy == .grid {
            let size = GridSampler(space: space, realPoints: gridPoints).points.count
            guard size <= trials else {
                throw .invalid("trials", "the grid has \(size) points but trials is \(trials); raise trials or narrow the space")
            }
        }
        let bare = metric.hasPrefix("valid.") ? String(metric.dropFirst(6)) : metric
        guard Metrics.allNames.contains(bare) else {
            throw .invalid("metric", "no objective reports '\(metric)'; metrics: valid.\(Metrics.allNames.sorted().joined(separator: ", valid."))")
        }
        return space
    }

    /// A trial's full budget of the resource schedulers judge by: boosting rounds (`--n-trees`),
    /// or L-BFGS iterations (`--max-iter`) when the base spec trains a linear model.
    public static func budget(of spec: TrainingSpec) -> Int {
        spec.model == .linear ? spec.linear.maxIterations : spec.gbdt.trees
    }

    /// What a study's chosen model keeps in its training parameters (and so in the registry): the
    /// strategy, which trial of how many, the metric with its direction, the space and the seed.
    public func lineage(trial: Int, of trials: Int, metric: TuningMetric, seed: UInt64) -> [String: String] {
        ["tuning.strategy": strategy.rawValue, "tuning.trial": "\(trial) of \(trials)",
         "tuning.metric": "\(metric.direction.rawValue) \(metric.name)", "tuning.space": space, "tuning.seed": "\(seed)"]
    }

    /// Whether the scheduler judges trials by their rounds (asha, hyperband, the median rule):
    /// each round then computes the study's metric.
    public var judgesRounds: Bool { strategy == .asha || strategy == .hyperband || medianStopping }

    /// The study for a base spec training `rounds` rounds, optimising `metric`; `seed` seeds
    /// the sampler (a seeded study with one trial at a time is repeatable).
    public func study(metric: TuningMetric, rounds: Int, seed: UInt64) throws(StudyPlanError) -> Study {
        let space = try check(rounds: rounds)
        let sampler: any Sampler = switch strategy {
        case .grid: GridSampler(space: space, realPoints: gridPoints)
        case .tpe: TPESampler(space: space, direction: metric.direction, seed: seed)
        case .random, .asha, .hyperband: RandomSampler(space: space, seed: seed)
        }
        let scheduler: any TrialScheduler = switch strategy {
        case .asha: ASHAScheduler(grace: grace, maxResource: rounds)
        case .hyperband: ASHAScheduler(grace: grace, maxResource: rounds, brackets: 3)
        default: medianStopping ? MedianStoppingScheduler(warmup: grace) : FIFOScheduler()
        }
        return Study(sampler: sampler, scheduler: scheduler, direction: metric.direction, maxTrials: trials, parallel: parallel)
    }
}

/// Why a study cannot run as planned; names the field (as in JOB_SUBMIT's `study`).
public enum StudyPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The search space is not valid YAML, or a parameter is not valid.
    case space(SearchSpaceError)
    /// A field of the plan is out of range.
    case invalid(String, String)

    public var description: String {
        switch self {
        case .space(let error): error.description
        case .invalid(let field, let reason): "\(field): \(reason)"
        }
    }
}
