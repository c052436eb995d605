import Foundation
import Synchronization
import TrainyardProtocol
import ZeroMQ

/// A client asking a coordinator `STATUS_REQUEST` over and over from a DEALER on a thread of
/// its own, timing each answer from just before the send to its arrival (the wait is a
/// `zmq_poll` on that thread, so neither the cooperative pool nor a polling interval adds to it).
final class StatusProber: Sendable {
    /// The probes so far.
    struct Report: Sendable, CustomStringConvertible {
        /// Round-trip times of the answered probes, in order.
        var latencies: [Duration] = []
        /// Probes over 50 ms: when they were sent (since the prober started) and how long they took.
        var slow: [(sent: Duration, latency: Duration)] = []
        /// Probes not answered within the prober's timeout.
        var unanswered = 0
        /// Replies that were not a `STATUS_REPLY` for the probe.
        var wrongReplies = 0
        /// The largest worker table reported, and the last status.
        var largestTable = 0
        var last: ClusterStatus?

        var sorted: [Duration] { latencies.sorted() }
        var median: Duration { percentile(0.5) }
        var p99: Duration { percentile(0.99) }
        var max: Duration { latencies.max() ?? .zero }

        /// The nearest-rank percentile of the answered probes.
        func percentile(_ p: Double) -> Duration {
            let sorted = self.sorted
            guard !sorted.isEmpty else { return .zero }
            return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }

        var description: String {
            func ms(_ d: Duration) -> String { String(format: "%.1f ms", d / .milliseconds(1)) }
            return "\(latencies.count) answered, \(unanswered) unanswered, \(wrongReplies) wrong replies; "
                + "median \(ms(median)), p90 \(ms(percentile(0.9))), p99 \(ms(p99)), max \(ms(max)); "
                + "largest worker table \(largestTable)"
                + (slow.isEmpty ? "" : "; over 50 ms: " + slow.map { "\(ms($0.latency)) at \(ms($0.sent))" }.joined(separator: ", "))
        }
    }

    private let report = Mutex(Report())
    /// When the current report began: probes are timed in `slow` from here.
    private let origin = Mutex(ContinuousClock.now)
    private let stopping = Mutex(false)
    private let finished = Mutex(false)
    private let failure = Mutex<String?>(nil)

    /// Starts probing `endpoint` every `interval`, waiting up to `timeout` for each answer.
    init(endpoint: String, context: ZMQContext, interval: Duration = .milliseconds(50), timeout: Duration = .seconds(2)) {
        let thread = Thread { [self] in
            do {
                try run(endpoint: endpoint, context: context, interval: interval, timeout: timeout)
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            finished.withLock { $0 = true }
        }
        thread.name = "status-prober"
        thread.start()
    }

    var snapshot: Report { report.withLock { $0 } }

    /// Starts a new report (e.g. once the coordinator is up, so its start-up is not counted).
    func restart() {
        report.withLock { $0 = Report() }
        origin.withLock { $0 = .now }
    }
    var error: String? { failure.withLock { $0 } }

    /// Stops after the probe under way (and at least `minimum` answered or lost probes) and returns the report.
    func stop(minimum: Int = 0) async -> Report {
        _ = await eventuallyTrue(timeout: .seconds(60)) { report.withLock { $0.latencies.count + $0.unanswered >= minimum } }
        stopping.withLock { $0 = true }
        _ = await eventuallyTrue(timeout: .seconds(10)) { finished.withLock { $0 } }
        return snapshot
    }

    private func eventuallyTrue(timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    private func run(endpoint: String, context: ZMQContext, interval: Duration, timeout: Duration) throws {
        let socket = try ZMQSocket(context: context, kind: .dealer)
        defer { socket.close() }
        try socket.set(.linger(milliseconds: 0))
        try socket.connect(endpoint)
        var correlation: UInt64 = 7_000_000
        while !stopping.withLock({ $0 }) {
            correlation += 1
            let started = ContinuousClock.now
            let deadline = started + timeout
            let sentSince = started - origin.withLock { $0 }
            guard try socket.send(WireCodec.encode(Envelope(.statusRequest, correlationID: correlation)), dontWait: true) else {
                report.withLock { $0.unanswered += 1 }
                Thread.sleep(forTimeInterval: interval / .seconds(1))
                continue
            }
            var answered = false
            while !answered {
                let left = deadline - ContinuousClock.now
                guard left > .zero, try socket.waitReadable(timeoutMilliseconds: max(1, Int(left / .milliseconds(1)))) else { break }
                let arrived = ContinuousClock.now
                while let frames = try socket.receive(dontWait: true) {
                    guard let envelope = try? WireCodec.decode(frames), envelope.correlationID == correlation else {
                        continue  // a late answer to an earlier probe
                    }
                    answered = true
                    report.withLock { report in
                        guard case .statusReply(let status) = envelope.message else {
                            report.wrongReplies += 1
                            return
                        }
                        report.latencies.append(arrived - started)
                        if arrived - started > .milliseconds(50) { report.slow.append((sentSince, arrived - started)) }
                        report.largestTable = Swift.max(report.largestTable, status.workers.count)
                        report.last = status
                    }
                }
            }
            if !answered { report.withLock { $0.unanswered += 1 } }
            let spent = ContinuousClock.now - started
            if spent < interval { Thread.sleep(forTimeInterval: (interval - spent) / .seconds(1)) }
        }
    }
}
