/// What a scheduler tells a running trial after a report.
public enum SchedulerDecision: Sendable, Equatable {
    case `continue`
    /// Stop now: the trial is pruned with the value it reported.
    case stop
}

/// Decides, from intermediate results, which trials to stop early. Values are losses
/// (smaller is better: ``Direction/loss(_:)``); resources are boosting rounds or iterations.
public protocol TrialScheduler: Sendable {
    /// Records that `trial` reached `resource` with `loss` and says whether it goes on.
    mutating func report(trial: Int, resource: Int, loss: Double) -> SchedulerDecision
}

/// Never stops a trial: every trial trains to the end.
public struct FIFOScheduler: TrialScheduler {
    public init() {}
    public mutating func report(trial: Int, resource: Int, loss: Double) -> SchedulerDecision { .continue }
}
