import NIOCore
import NIOPosix

/// Runs HTTP/1.1 load tests: `trainyard loadtest` and in-process callers (tests, the demo).
///
/// A run opens ``LoadTestPlan/concurrency`` keep-alive connections spread round-robin over
/// ``LoadTestPlan/effectiveThreads`` event loops. Each loop owns its connections and its own
/// HDR histogram (microseconds, three significant digits), so the hot path takes no lock, creates
/// no task and allocates no request: the request's bytes are built once and written as they are.
///
/// - Closed loop (no rate): every connection sends its next request when the previous response
///   arrived. Latency is from write to the end of the response.
/// - Open loop (a rate): request `k` of a loop is due at `start + k / rate_loop`, whether or not
///   earlier ones were answered; a due request waits for a free connection of its loop. Latency is
///   from the due time, so a stalled server is charged for every request it delayed (the
///   coordinated-omission correction of wrk2), not only for the one it held.
///
/// Broken connections are counted in ``LoadTestReport/errors`` and reopened; a request without a
/// response after the timeout is counted and its connection reopened. The run ends at its
/// deadline, after ``LoadTestPlan/maxRequests``, or when no connection could ever be opened.
public enum LoadTest {
    /// Runs the plan and reports what happened.
    ///
    /// Throws only when the plan is invalid (bounds, URL, unresolvable host) or the event loops
    /// could not run; failures to connect or of requests are counted in the report instead.
    /// A report with ``LoadTestReport/requests`` zero means no request could be sent at all.
    public static func run(_ plan: LoadTestPlan) async throws(LoadTestError) -> LoadTestReport {
        try plan.validate()
        let target = try RequestTarget(plan: plan)
        let threads = plan.effectiveThreads
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let loops = Array(group.makeIterator())

        // Connection i runs on loop i mod threads; request limits are split evenly over connections.
        let perLoop = loops.indices.map { index in stride(from: index, to: plan.concurrency, by: loops.count).map { $0 } }
        let connectionBudgets: [Int?] = plan.rate == nil
            ? (plan.maxRequests.map { RateSchedule.split($0, weights: Array(repeating: 1, count: plan.concurrency)) }
               ?? Array(repeating: nil, count: plan.concurrency))
            : Array(repeating: nil, count: plan.concurrency)

        let start = NIODeadline.now()
        let schedules: [RateSchedule]? = plan.rate.map {
            RateSchedule.shares(rate: $0, connections: perLoop.map(\.count), start: start,
                                duration: TimeAmount(plan.duration), maxRequests: plan.maxRequests)
        }
        let futures = loops.enumerated().map { index, loop in
            let budgets = perLoop[index].map { connectionBudgets[$0] }
            let schedule = schedules?[index]
            return loop.flatSubmit {
                LoopShard(loop: loop, target: target, plan: plan, start: start, budgets: budgets, schedule: schedule).start()
            }
        }

        let outcome: Result<[LoadTally], any Error>
        do {
            outcome = .success(try await EventLoopFuture.whenAllSucceed(futures, on: loops[0]).get())
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()

        switch outcome {
        case .failure(let error):
            throw .eventLoopFailure(String(describing: error))
        case .success(let tallies):
            var total = LoadTally()
            for tally in tallies { total.merge(tally) }
            return LoadTestReport(plan: plan, threads: threads, tally: total,
                                  durationSeconds: Double(total.elapsedNanoseconds) / 1e9)
        }
    }
}
