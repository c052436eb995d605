import Tuning

/// One trial of a study as `tune show` reports it.
public struct TrialInfo: Sendable, Codable, Equatable {
    /// The trial's number in its study (0, 1, …, in the order they were proposed).
    public var trial: Int
    /// The job that trains it (its rounds, its model: `jobs show`, `jobs download`).
    public var job: UInt64?
    public var parameters: [String: ParameterValue]
    public var state: TrialState
    /// The study's metric: final (complete), at the round it stopped (pruned), or the last round reported (running).
    public var value: Double?
    /// The metric at each round a scheduler judged (asha, hyperband, the median rule), in round order.
    public var rungs: [RungValue] = []
    /// The workers it trained on, and why it failed.
    public var workers: [String] = []
    public var reason: String?
    /// Unix times in seconds.
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Of its job's bytes, the shard bytes shipped (0 when every worker already held the rows).
    public var shardBytes: Int = 0

    public init(trial: Int, job: UInt64? = nil, parameters: [String: ParameterValue], state: TrialState) {
        self.trial = trial
        self.job = job
        self.parameters = parameters
        self.state = state
    }

    /// Seconds from start to finish (or to `now` while it runs).
    public func seconds(now: Double) -> Double? { startedAt.map { (finishedAt ?? now) - $0 } }
}

/// A trial's metric at one round.
public struct RungValue: Sendable, Codable, Equatable {
    public var round: Int
    public var value: Double

    public init(round: Int, value: Double) {
        self.round = round
        self.value = value
    }
}

/// A study's trials at a glance, kept in its job for `tune list`.
public struct StudySummary: Sendable, Codable, Equatable {
    public var complete = 0
    public var pruned = 0
    public var failed = 0
    public var running = 0
    /// The best complete trial and its metric.
    public var bestTrial: Int?
    public var bestValue: Double?
    /// Shard bytes shipped for all trials.
    public var shardBytes = 0

    public init() {}

    /// The summary of `trials`, the best chosen by `direction`.
    public init(_ trials: [TrialInfo], direction: Direction) {
        for trial in trials {
            switch trial.state {
            case .complete: complete += 1
            case .pruned: pruned += 1
            case .failed: failed += 1
            case .running: running += 1
            }
            shardBytes += trial.shardBytes
            if trial.state == .complete, let value = trial.value,
               bestValue.map({ direction.isBetter(value, than: $0) }) ?? true {
                bestTrial = trial.trial
                bestValue = value
            }
        }
    }
}
