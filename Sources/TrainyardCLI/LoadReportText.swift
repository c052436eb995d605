import Foundation
import LoadTesting

/// Renders a ``LoadTesting/LoadTestReport`` for people, in the shape of wrk's summary.
struct LoadReportText {
    let plan: LoadTestPlan

    /// The line printed before the run starts.
    func banner() -> String {
        let mode = plan.rate.map { String(format: "open loop at %.0f requests/s", $0) } ?? "closed loop"
        let limit = plan.maxRequests.map { ", at most \($0) requests" } ?? ""
        return "Running \(format(plan.duration)) loadtest @ \(plan.url)\n"
            + "  \(plan.effectiveThreads) threads and \(plan.concurrency) connections, \(mode)\(limit)"
    }

    func summary(_ report: LoadTestReport) -> String {
        let latency = report.latency
        let columns = ["p50", "p90", "p99", "p99.9", "max", "mean"]
        let values = [latency.p50, latency.p90, latency.p99, latency.p999, latency.max, latency.mean]
        var lines = report.responses == 0 ? ["  Latency: no responses"] : [
            "  Latency " + columns.map { $0.leftPadded(to: 10) }.joined(),
            "         " + values.map { milliseconds($0).leftPadded(to: 10) }.joined(),
        ]
        lines += [
            "",
            String(format: "  %d requests in %.2fs, %d responses", report.requests, report.durationSeconds, report.responses)
                + (report.unfinished > 0 ? ", \(report.unfinished) unfinished at the end" : ""),
            String(format: "  Responses/sec: %.2f", report.throughput)
                + (report.targetRate.map { String(format: " (target rate %.2f/s)", $0) } ?? ""),
        ]
        lines.append("  Status: " + counts(report.statusCounts, sortedByKey: true, empty: "no responses"))
        if !report.errors.isEmpty { lines.append("  Errors: " + counts(report.errors, sortedByKey: false, empty: "")) }
        if let header = report.countHeader {
            lines.append("  \(header): " + counts(report.headerCounts, sortedByKey: true, empty: "no responses"))
        }
        return lines.joined(separator: "\n")
    }

    private func counts(_ counts: [String: Int], sortedByKey: Bool, empty: String) -> String {
        guard !counts.isEmpty else { return empty }
        let ordered = sortedByKey ? counts.sorted { $0.key < $1.key } : counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        return ordered.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// Milliseconds with a unit that keeps three significant digits readable: µs below 1 ms, s above 10 s.
    private func milliseconds(_ value: Double) -> String {
        if value < 1 { return String(format: "%.0fµs", value * 1000) }
        if value >= 10_000 { return String(format: "%.2fs", value / 1000) }
        return String(format: "%.2fms", value)
    }

    /// `10s` for whole seconds, `1500ms` otherwise.
    private func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds)s" : "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
