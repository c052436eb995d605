import TrainyardML

/// Tree-structured Parzen Estimator: proposes values that are likely among the good trials so
/// far and unlikely among the others.
///
/// Follows Optuna's `TPESampler` with its defaults, one parameter at a time:
///
/// - Until `startupTrials` trials have finished (complete or pruned), a random draw from the
///   space, from the same seeded generator as ``RandomSampler``: with the same seed, the first
///   suggestions are exactly random search's.
/// - Then the finished trials are split: the best γ(n) = min(⌈0.1 n⌉, 25) of the n finished
///   trials are good (complete trials by loss, then pruned ones, deepest rung first), the rest
///   bad. Running trials count as bad ("constant liar", on by default from Optuna 5), so
///   parallel workers are not all sent to the same spot.
/// - Parameters are chosen in the space's order; one whose `when` does not hold for the values
///   chosen so far is skipped, as in ``SearchSpace/sample(_:)``. For each active parameter, a
///   ``ParzenEstimator`` l(x) is fitted to the good trials that have it and g(x) to the bad ones
///   (`prior_weight` 1, `consider_magic_clip`, no `consider_endpoints`, `default_weights`),
///   `candidates` values are drawn from l(x), and the one with the largest log l(x) − log g(x)
///   is kept.
///
/// Where it differs from Optuna: each parameter is modelled on its own (`multivariate=False`,
/// Optuna 4's default; Optuna 5 models the parameters jointly when there is one objective);
/// no constraints, no multi-objective split; trials are counted from the history given to
/// ``suggest(trial:history:)`` rather than from a study's storage; a complete trial without a
/// finite value is ignored; a pruned trial that reported no intermediate value is ranked by its
/// value; values outside a parameter's bounds are clipped into them. Fixed values of the space
/// are included in every suggestion.
public struct TPESampler: Sampler {
    public let space: SearchSpace
    public let direction: Direction
    public let startupTrials: Int
    public let candidates: Int
    private var random: SplitMix64

    /// - Parameters:
    ///   - direction: whether the study minimises or maximises its metric.
    ///   - seed: every draw comes from a `SplitMix64` with this seed, so a sampler given the
    ///     same seed and the same histories suggests the same trials.
    ///   - startupTrials: random trials before TPE starts (Optuna's `n_startup_trials`, 10).
    ///   - candidates: draws from l(x) per parameter (Optuna's `n_ei_candidates`, 24).
    public init(space: SearchSpace, direction: Direction, seed: UInt64, startupTrials: Int = 10, candidates: Int = 24) {
        self.space = space
        self.direction = direction
        self.startupTrials = startupTrials
        self.candidates = max(1, candidates)
        random = SplitMix64(seed: seed)
    }

    /// The next trial's parameters given every earlier trial; never `nil` (TPE always has a
    /// proposal). `trial` is not used: the history decides.
    public mutating func suggest(trial: Int, history: [TrialRecord]) -> [String: ParameterValue]? {
        let split = Self.split(history, direction: direction)
        guard split.finished >= startupTrials else { return space.sample(&random) }
        var values = space.fixed
        for parameter in space.parameters where space.isActive(parameter, in: values) {
            let name = parameter.name
            guard let good = ParzenEstimator(distribution: parameter.distribution, observations: split.good.compactMap { $0.parameters[name] }),
                  let bad = ParzenEstimator(distribution: parameter.distribution, observations: split.bad.compactMap { $0.parameters[name] })
            else { continue }
            var best: (value: ParameterValue, score: Double)?
            for _ in 0..<candidates {
                let candidate = good.sample(&random)
                let score = good.logDensity(candidate) - bad.logDensity(candidate)
                if best.map({ score > $0.score }) ?? true { best = (candidate, score) }
            }
            values[name] = best?.value
        }
        return values
    }

    /// The history's good and bad trials, each in id order (the weights favour later ones), and
    /// how many trials have finished.
    static func split(_ history: [TrialRecord], direction: Direction) -> (good: [TrialRecord], bad: [TrialRecord], finished: Int) {
        let complete = history
            .filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
            .map { (trial: $0, loss: direction.loss($0.value ?? 0)) }
            .sorted { ($0.loss, $0.trial.id) < ($1.loss, $1.trial.id) }
            .map(\.trial)
        let pruned = history
            .filter { $0.state == .pruned }
            .map { trial in (trial: trial, rank: pruneRank(trial, direction: direction)) }
            .sorted { ($0.rank.depth, $0.rank.loss, $0.trial.id) < ($1.rank.depth, $1.rank.loss, $1.trial.id) }
            .map(\.trial)
        let running = history.filter { $0.state == .running }
        let count = ParzenEstimator.gamma(complete.count + pruned.count)
        let goodPruned = max(0, count - complete.count)
        let good = complete.prefix(count) + pruned.prefix(goodPruned)
        let bad = complete.dropFirst(count) + pruned.dropFirst(goodPruned) + running
        return (good.sorted { $0.id < $1.id }, bad.sorted { $0.id < $1.id }, complete.count + pruned.count)
    }

    /// A pruned trial's place among pruned trials, smaller first: the deepest step it reached
    /// (negated), then its loss there (its value when it reported no step); a trial with
    /// neither comes last.
    private static func pruneRank(_ trial: TrialRecord, direction: Direction) -> (depth: Int, loss: Double) {
        let step = trial.intermediate.keys.max()
        let value = step.flatMap { trial.intermediate[$0] } ?? trial.value
        let loss = value.map(direction.loss) ?? .infinity
        return (step.map { -$0 } ?? Int.max, loss.isNaN ? .infinity : loss)
    }
}
