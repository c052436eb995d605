import Foundation

/// Asynchronous successive halving (Li et al., 2018, as Ray Tune's `ASHAScheduler` runs it),
/// optionally over several Hyperband brackets.
///
/// Rungs sit at `grace × η^k` resources (rounds) up to `maxResource`. When a trial first
/// reaches a rung it is compared with the losses recorded there so far: if its loss is worse
/// than their `1 − 1/η` quantile (linear interpolation, as numpy's percentile) it stops,
/// otherwise it goes on; either way its loss joins the rung. No trial waits for others — a
/// rung's cutoff is whatever has been recorded when the trial arrives, so the first trials
/// through a rung always go on. With `brackets` > 1 (Hyperband over ASHA), trial `i` runs in
/// bracket `i mod brackets`, whose first rung is `grace × η^bracket`: later brackets stop
/// less early, hedging against a grace period too short to judge by.
public struct ASHAScheduler: TrialScheduler {
    public let grace: Int
    public let maxResource: Int
    public let reductionFactor: Int
    /// Rung resources per bracket, ascending.
    public let rungs: [[Int]]
    /// Losses recorded per bracket, per rung resource, per trial.
    private var recorded: [[Int: [Int: Double]]]

    /// - Parameters: `grace`: the first rung (≥ 1); `maxResource`: a trial's full budget;
    ///   `reductionFactor` η ≥ 2 (3 by default, as Ray's); `brackets` ≥ 1.
    public init(grace: Int, maxResource: Int, reductionFactor: Int = 3, brackets: Int = 1) {
        precondition(grace >= 1 && maxResource >= grace && reductionFactor >= 2 && brackets >= 1)
        self.grace = grace
        self.maxResource = maxResource
        self.reductionFactor = reductionFactor
        rungs = (0..<brackets).map { bracket in
            var resource = grace
            for _ in 0..<bracket { resource *= reductionFactor }
            var levels: [Int] = []
            while resource < maxResource {
                levels.append(resource)
                resource *= reductionFactor
            }
            return levels
        }
        recorded = Array(repeating: [:], count: brackets)
    }

    public mutating func report(trial: Int, resource: Int, loss: Double) -> SchedulerDecision {
        let bracket = trial % rungs.count
        // The highest rung this report reaches that the trial has not been judged at yet.
        guard let rung = rungs[bracket].last(where: { $0 <= resource }), recorded[bracket][rung]?[trial] == nil else {
            return .continue
        }
        let others = Array((recorded[bracket][rung] ?? [:]).values)
        recorded[bracket][rung, default: [:]][trial] = loss
        guard let cutoff = Self.quantile(others, 1 / Double(reductionFactor)) else { return .continue }
        // Losses: keep the best 1/η, i.e. stop what is above the 1/η quantile of the recorded losses.
        return loss > cutoff ? .stop : .continue
    }

    /// The `q` quantile of `values` by linear interpolation between order statistics (numpy's
    /// default), or `nil` for no values.
    static func quantile(_ values: [Double], _ q: Double) -> Double? {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return nil }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
