import TrainyardML

/// Proposes the parameters of a study's next trial from the trials so far.
///
/// Samplers are values: the study keeps one and calls ``suggest(trial:history:)`` once per
/// trial, in order, so a seeded study proposes the same trials every time.
public protocol Sampler: Sendable {
    /// The parameters of trial `trial` (0-based), given every earlier trial (running ones
    /// included, without values), or `nil` when the sampler has nothing left to propose
    /// (a finished grid).
    mutating func suggest(trial: Int, history: [TrialRecord]) -> [String: ParameterValue]?
}

/// Independent draws from the space (random search), from a seeded generator.
public struct RandomSampler: Sampler {
    public let space: SearchSpace
    private var random: SplitMix64

    public init(space: SearchSpace, seed: UInt64) {
        self.space = space
        random = SplitMix64(seed: seed)
    }

    public mutating func suggest(trial: Int, history: [TrialRecord]) -> [String: ParameterValue]? {
        space.sample(&random)
    }
}

/// Every combination of the space's grid values, in order (the first parameter varies
/// slowest); conditional parameters are only combined where their condition holds.
public struct GridSampler: Sampler {
    public let points: [[String: ParameterValue]]

    /// The grid of `space`, reals at `realPoints` evenly spaced values each.
    public init(space: SearchSpace, realPoints: Int = 5) {
        var points: [[String: ParameterValue]] = [space.fixed]
        for parameter in space.parameters {
            points = points.flatMap { point -> [[String: ParameterValue]] in
                guard space.isActive(parameter, in: point) else { return [point] }
                return parameter.distribution.grid(points: realPoints).map { value in point.merging([parameter.name: value]) { $1 } }
            }
        }
        self.points = points
    }

    public mutating func suggest(trial: Int, history: [TrialRecord]) -> [String: ParameterValue]? {
        trial < points.count ? points[trial] : nil
    }
}
