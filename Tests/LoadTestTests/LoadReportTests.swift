import Foundation
import Histogram
@testable import LoadTesting
import NIOCore
import Testing

/// The arithmetic of a run without sockets: percentiles, tallies, schedules, plans and requests.
struct LoadReportTests {
    @Test func percentilesAreReadFromTheHistogramInMilliseconds() {
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000,
                                          numberOfSignificantValueDigits: .three)
        for millisecond in 1...1000 { _ = histogram.record(UInt64(millisecond) * 1000) }
        let summary = LatencySummary(microseconds: histogram)
        #expect(abs(summary.p50 - 500) <= 0.5)
        #expect(abs(summary.p90 - 900) <= 1)
        #expect(abs(summary.p99 - 990) <= 1)
        #expect(abs(summary.p999 - 999) <= 1)
        #expect(abs(summary.max - 1000) <= 1)
        #expect(abs(summary.mean - 500.5) <= 0.5)
    }

    @Test func emptyHistogramSummarizesAsZeros() {
        let summary = LatencySummary(microseconds: Histogram<UInt64>(highestTrackableValue: 1000))
        #expect(summary == LatencySummary(p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0))
    }

    @Test func talliesMergeIntoTheReport() {
        var first = LoadTally()
        first.sent = 3
        first.recordResponse(status: 200, latencyMicroseconds: 1000)
        first.recordResponse(status: 200, latencyMicroseconds: 3000)
        first.recordError(.timeout)
        first.recordHeaderValue("v1")
        first.elapsedNanoseconds = 2_000_000_000
        var second = LoadTally()
        second.sent = 2
        second.recordResponse(status: 503, latencyMicroseconds: 2000)
        second.recordError(.connectRefused)
        second.recordError(.connectRefused)
        second.recordHeaderValue("v1")
        second.recordHeaderValue("v2")
        second.unfinished = 1
        second.elapsedNanoseconds = 1_000_000_000
        first.merge(second)

        let plan = LoadTestPlan(url: "http://127.0.0.1:1/", concurrency: 2, countHeader: "X-Model-Version")
        let report = LoadTestReport(plan: plan, threads: 2, tally: first, durationSeconds: Double(first.elapsedNanoseconds) / 1e9)
        #expect(report.requests == 5)
        #expect(report.responses == 3)
        #expect(report.unfinished == 1)
        #expect(report.durationSeconds == 2)
        #expect(report.throughput == 1.5)
        #expect(report.statusCounts == ["200": 2, "503": 1])
        #expect(report.errors == ["timeout": 1, "connectRefused": 2])
        #expect(report.totalErrors == 3)
        #expect(report.headerCounts == ["v1": 2, "v2": 1])
        #expect(abs(report.latency.p50 - 2) < 0.01)
        #expect(abs(report.latency.max - 3) < 0.01)
        #expect(abs(report.latency.mean - 2) < 0.01)
    }

    @Test func reportRoundTripsThroughJSON() throws {
        let report = LoadTestReport(
            url: "http://x/", concurrency: 1, threads: 1, requests: 10, responses: 9, unfinished: 1, durationSeconds: 1,
            targetRate: 10, latency: LatencySummary(p50: 1, p90: 2, p99: 3, p999: 4, max: 5, mean: 1.5),
            statusCounts: ["200": 9], errors: ["timeout": 1], countHeader: nil, headerCounts: [:])
        let data = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(LoadTestReport.self, from: data) == report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["throughput"] as? Double == 9)
        #expect((object["latency"] as? [String: Any])?["p999"] as? Double == 4)
    }

    @Test func rateScheduleDueTimesDoNotDrift() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let shares = RateSchedule.shares(rate: 1000, connections: [2, 2], start: start, duration: .seconds(1), maxRequests: nil)
        #expect(shares.map(\.limit) == [500, 500])
        #expect(shares[0].dueTime(0) == start)
        #expect(shares[1].dueTime(0) == start + .milliseconds(1))
        #expect(shares[0].dueTime(499) == start + .milliseconds(998))
        // A wake-up 50 ms late finds 26 requests due at once (indexes 0 through 25).
        #expect(shares[0].dueCount(at: start + .milliseconds(50)) == 26)
        #expect(shares[0].dueCount(at: start - .milliseconds(1)) == 0)
        #expect(shares[0].dueCount(at: start + .seconds(5)) == 500)

        let limited = RateSchedule.shares(rate: 1000, connections: [3, 1], start: start, duration: .seconds(1), maxRequests: 10)
        #expect(limited.map(\.limit) == [8, 2])
    }

    @Test func splitIsProportionalAndExact() {
        #expect(RateSchedule.split(10, weights: [1, 1, 1]) == [4, 3, 3])
        #expect(RateSchedule.split(2, weights: [1, 1, 1, 1]) == [1, 1, 0, 0])
        #expect(RateSchedule.split(100, weights: [3, 1]) == [75, 25])
        #expect(RateSchedule.split(7, weights: [0, 2]) == [0, 7])
    }

    @Test func durationsParseInSecondsAndMilliseconds() {
        #expect(LoadTestPlan.parseDuration("10") == .seconds(10))
        #expect(LoadTestPlan.parseDuration("10s") == .seconds(10))
        #expect(LoadTestPlan.parseDuration("500ms") == .milliseconds(500))
        #expect(LoadTestPlan.parseDuration("2.5s") == .milliseconds(2500))
        #expect(LoadTestPlan.parseDuration("2m") == .seconds(120))
        #expect(LoadTestPlan.parseDuration("1h") == .seconds(3600))
        #expect(LoadTestPlan.parseDuration("ten") == nil)
        #expect(LoadTestPlan.parseDuration("-1s") == nil)
        #expect(LoadTestPlan.parseDuration("") == nil)
    }

    @Test func plansOutOfBoundsAreRefused() {
        #expect(throws: LoadTestError.durationOutOfRange(.seconds(7200), maximum: .seconds(3600))) {
            try LoadTestPlan(url: "http://x/", duration: .seconds(7200)).validate()
        }
        #expect(throws: LoadTestError.concurrencyOutOfRange(20_000, maximum: 10_000)) {
            try LoadTestPlan(url: "http://x/", concurrency: 20_000).validate()
        }
        #expect(throws: LoadTestError.concurrencyOutOfRange(0, maximum: 10_000)) {
            try LoadTestPlan(url: "http://x/", concurrency: 0).validate()
        }
        #expect(throws: LoadTestError.rateOutOfRange(0, maximum: LoadTestPlan.maximumRate)) {
            try LoadTestPlan(url: "http://x/", rate: 0).validate()
        }
        #expect(throws: LoadTestError.invalidHeader(name: "X-Bad", value: "a\r\nb")) {
            try LoadTestPlan(url: "http://x/", headers: [("X-Bad", "a\r\nb")]).validate()
        }
        #expect(LoadTestPlan(url: "http://x/").method == "GET")
        #expect(LoadTestPlan(url: "http://x/", body: [1]).method == "POST")
    }

    @Test func urlsAreParsedAndRequestsBuiltOnce() throws {
        let plan = LoadTestPlan(url: "http://127.0.0.1:8080/v1/models/churn:predict?x=1", headers: [("Content-Type", "application/json")],
                                body: Array("{}".utf8))
        let target = try RequestTarget(plan: plan)
        #expect(target.port == 8080)
        #expect(target.path == "/v1/models/churn:predict?x=1")
        #expect(String(buffer: target.requestBytes) == """
            POST /v1/models/churn:predict?x=1 HTTP/1.1\r
            Host: 127.0.0.1:8080\r
            User-Agent: trainyard-loadtest\r
            Content-Type: application/json\r
            Content-Length: 2\r
            \r
            {}
            """)
        #expect(try RequestTarget(plan: LoadTestPlan(url: "http://127.0.0.1")).path == "/")
        #expect(try RequestTarget(plan: LoadTestPlan(url: "http://[::1]:9000?q")).requestHead.uri == "/?q")
        #expect(throws: LoadTestError.unsupportedScheme("ftp")) { try RequestTarget(plan: LoadTestPlan(url: "ftp://x/")) }
        #expect(throws: LoadTestError.self) { try RequestTarget(plan: LoadTestPlan(url: "http://127.0.0.1:99999/")) }
        #expect(throws: LoadTestError.self) { try RequestTarget(plan: LoadTestPlan(url: "127.0.0.1:8080")) }
    }
}
