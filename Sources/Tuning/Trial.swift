import TrainyardML

/// Whether a study looks for the largest or the smallest value of its metric.
public enum Direction: String, Sendable, Codable, CaseIterable {
    case maximize, minimize

    /// The natural direction of metric `name` (`valid.auc` or `auc`): maximize what is better higher.
    public static func natural(for name: String) -> Direction {
        Metrics.higherIsBetter(name.hasPrefix("valid.") ? String(name.dropFirst(6)) : name) ? .maximize : .minimize
    }

    /// `value` as a loss (smaller is better): negated when maximizing.
    public func loss(_ value: Double) -> Double { self == .maximize ? -value : value }

    /// Whether `a` is better than `b`.
    public func isBetter(_ a: Double, than b: Double) -> Bool { self == .maximize ? a > b : a < b }
}

/// Where a trial is in its life.
public enum TrialState: String, Sendable, Codable {
    /// Suggested and training (or waiting for a worker).
    case running
    /// Trained to the end; its value is final.
    case complete
    /// Stopped early by the scheduler (ASHA, median rule); its value is its last rung's.
    case pruned
    /// Failed (training error, lost worker with no retry left).
    case failed
}

/// A trial as samplers and schedulers see it: its parameters, and its metric so far.
public struct TrialRecord: Sendable, Equatable, Codable {
    /// 0, 1, 2, … in suggestion order.
    public var id: Int
    public var parameters: [String: ParameterValue]
    public var state: TrialState
    /// The final value (complete), or the last reported one (running, pruned).
    public var value: Double?
    /// Values reported at each resource level (boosting rounds or iterations), by level.
    public var intermediate: [Int: Double]

    public init(id: Int, parameters: [String: ParameterValue], state: TrialState = .running, value: Double? = nil,
                intermediate: [Int: Double] = [:]) {
        self.id = id
        self.parameters = parameters
        self.state = state
        self.value = value
        self.intermediate = intermediate
    }
}
