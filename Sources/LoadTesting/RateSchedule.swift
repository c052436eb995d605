import NIOCore

/// When each request of one event loop's open-loop share is due: request `k` at
/// `start + offset + k × interval`.
///
/// Due times are computed from the index, never accumulated from a previous timer's firing, so a
/// late wake-up delays dispatch but not the schedule: the requests it missed become due at once and
/// their latency counts from their due time. That is the coordinated-omission correction.
struct RateSchedule: Sendable, Equatable {
    /// Time zero of the whole run (shared by all shares).
    let start: NIODeadline
    /// Nanoseconds between two due times of this share.
    let interval: Double
    /// Nanoseconds from `start` to this share's first due time (shares interleave).
    let offset: Double
    /// How many requests this share sends: those due before the run's end, capped by its part of
    /// the request limit.
    let limit: Int

    /// When request `index` is due.
    func dueTime(_ index: Int) -> NIODeadline {
        start + .nanoseconds(Int64(offset + Double(index) * interval))
    }

    /// How many requests are due at `now` (all with index below the result), at most ``limit``.
    func dueCount(at now: NIODeadline) -> Int {
        let elapsed = Double((now - start).nanoseconds) - offset
        guard elapsed >= 0 else { return 0 }
        return Swift.min(limit, Int(elapsed / interval) + 1)
    }

    /// Splits a total rate over event loops in proportion to their connections.
    ///
    /// - Parameters:
    ///   - rate: requests per second for the whole run.
    ///   - connections: connections on each event loop.
    ///   - duration: the run's length; requests due at or after its end are not sent.
    ///   - maxRequests: the run's request limit, split like the rate.
    /// - Returns: one schedule per event loop, the loops' first due times interleaved.
    static func shares(rate: Double, connections: [Int], start: NIODeadline, duration: TimeAmount,
                       maxRequests: Int?) -> [RateSchedule] {
        let total = connections.reduce(0, +)
        let budgets = maxRequests.map { split($0, weights: connections) }
        return connections.enumerated().map { index, count in
            let interval = 1e9 / (rate * Double(count) / Double(total))
            let offset = interval * Double(index) / Double(connections.count)
            let window = Double(duration.nanoseconds) - offset
            var limit = window > 0 ? Int((window / interval).rounded(.up)) : 0
            if let budgets { limit = Swift.min(limit, budgets[index]) }
            return RateSchedule(start: start, interval: interval, offset: offset, limit: limit)
        }
    }

    /// Splits `total` into integer parts proportional to `weights` (largest remainders first), summing to `total`.
    static func split(_ total: Int, weights: [Int]) -> [Int] {
        let weightSum = weights.reduce(0, +)
        guard weightSum > 0 else { return weights.map { _ in 0 } }
        var parts = weights.map { total * $0 / weightSum }
        let remainders = weights.enumerated()
            .map { (index: $0.offset, remainder: total * $0.element % weightSum) }
            .sorted { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
        for entry in remainders.prefix(total - parts.reduce(0, +)) { parts[entry.index] += 1 }
        return parts
    }
}
