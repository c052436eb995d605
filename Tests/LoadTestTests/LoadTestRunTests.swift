import LoadTesting
import NIOCore
import Testing

/// Real runs against an in-process server; serialized so timing-sensitive runs do not share the CPU.
@Suite(.serialized)
struct LoadTestRunTests {
    @Test func closedLoopWithRequestLimitGetsExactlyThatManyResponses() async throws {
        let server = try await TestHTTPServer.start(.init(failEvery: 5))
        let report = try await LoadTest.run(LoadTestPlan(url: server.url, body: Array("{}".utf8), concurrency: 4,
                                                         duration: .seconds(10), maxRequests: 500,
                                                         countHeader: "X-Model-Version"))
        try await server.stop()
        #expect(report.requests == 500)
        #expect(report.responses == 500)
        #expect(report.statusCounts == ["200": 400, "500": 100])
        #expect(report.headerCounts == ["v1": 250, "v2": 250])
        #expect(report.errors.isEmpty)
        #expect(report.unfinished == 0)
        #expect(report.durationSeconds < 10)
        #expect(report.latency.p50 > 0 && report.latency.p50 <= report.latency.p99)
        #expect(report.latency.p99 <= report.latency.max)
        #expect(report.targetRate == nil)
    }

    @Test func closedPortCountsConnectRefusedAndEndsQuickly() async throws {
        let port = try await TestHTTPServer.closedPort()
        let clock = ContinuousClock()
        let started = clock.now
        let report = try await LoadTest.run(LoadTestPlan(url: "http://127.0.0.1:\(port)/", concurrency: 2, duration: .seconds(10)))
        // Well before the plan's 10 s (every connection retires after its failed attempts); generous for a loaded machine.
        #expect(clock.now - started < .seconds(8))
        #expect(report.requests == 0)
        #expect(report.responses == 0)
        #expect((report.errors["connectRefused"] ?? 0) >= 2)
        #expect(report.errors.keys.sorted() == ["connectRefused"])
    }

    @Test func slowResponseIsCountedAsTimeoutAndTheConnectionReopened() async throws {
        let server = try await TestHTTPServer.start(.init(stallAt: 3, stall: .seconds(2)))
        let report = try await LoadTest.run(LoadTestPlan(url: server.url, concurrency: 1, duration: .seconds(10),
                                                         maxRequests: 20, timeout: .milliseconds(300)))
        try await server.stop()
        #expect(report.requests == 20)
        #expect(report.responses == 19)
        #expect(report.errors == ["timeout": 1])
        #expect(report.durationSeconds < 2)
    }

    @Test func brokenConnectionIsCountedAndReopened() async throws {
        let server = try await TestHTTPServer.start(.init(closeAt: 5))
        let report = try await LoadTest.run(LoadTestPlan(url: server.url, concurrency: 1, duration: .seconds(10), maxRequests: 20))
        try await server.stop()
        #expect(report.requests == 20)
        #expect(report.responses == 19)
        #expect(report.errors == ["connectionClosed": 1])
    }

    @Test func openLoopSendsAboutRateTimesDuration() async throws {
        let server = try await TestHTTPServer.start()
        let report = try await LoadTest.run(LoadTestPlan(url: server.url, concurrency: 4, duration: .seconds(1), rate: 200))
        try await server.stop()
        #expect((150...200).contains(report.requests), "sent \(report.requests)")
        #expect(report.responses >= report.requests - 4)
        #expect(report.targetRate == 200)
        #expect(report.errors.isEmpty)
    }

    @Test func openLoopChargesAStallToEveryRequestItDelayed() async throws {
        let server = try await TestHTTPServer.start(.init(stallAt: 40, stall: .milliseconds(200)))
        let report = try await LoadTest.run(LoadTestPlan(url: server.url, concurrency: 1, duration: .seconds(2), rate: 200,
                                                         threads: 1))
        try await server.stop()
        // About 40 requests came due during the stall; the first waited ~200 ms, so the top 1 % of
        // ~400 waited at least ~180 ms. Uncorrected (closed loop), only one request would show it.
        #expect(report.latency.max >= 180, "max \(report.latency.max) ms")
        #expect(report.latency.p99 >= 100, "p99 \(report.latency.p99) ms")
        #expect(report.errors.isEmpty)
    }

    @Test func closedLoopShowsAStallOnlyOnce() async throws {
        let server = try await TestHTTPServer.start(.init(stallAt: 40, stall: .milliseconds(200)))
        let report = try await LoadTest.run(LoadTestPlan(url: server.url, concurrency: 1, duration: .seconds(10),
                                                         maxRequests: 400, threads: 1))
        try await server.stop()
        #expect(report.latency.max >= 180, "max \(report.latency.max) ms")
        // Closed loop hides the stall from every request but one (p90 keeps a margin for a loaded machine).
        #expect(report.latency.p90 < 100, "p90 \(report.latency.p90) ms")
    }
}
