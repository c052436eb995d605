/// The median stopping rule (Golovin et al., 2017, as Optuna's `MedianPruner`): once
/// `startupTrials` trials have reported and a trial is past `warmup` resources, it stops when
/// its loss is worse than the median of the losses other trials reported at the same resource.
public struct MedianStoppingScheduler: TrialScheduler {
    public let startupTrials: Int
    public let warmup: Int
    private var losses: [Int: [Int: Double]] = [:]

    public init(startupTrials: Int = 5, warmup: Int = 0) {
        self.startupTrials = startupTrials
        self.warmup = warmup
    }

    public mutating func report(trial: Int, resource: Int, loss: Double) -> SchedulerDecision {
        let others = (losses[resource] ?? [:]).filter { $0.key != trial }.map(\.value)
        losses[resource, default: [:]][trial] = loss
        guard resource > warmup, others.count >= startupTrials, let median = ASHAScheduler.quantile(others, 0.5) else { return .continue }
        return loss > median ? .stop : .continue
    }
}
