import Proxy
import Synchronization
import Testing

/// `--discover`: backends follow what a name resolves to. A fake resolver makes addresses appear and vanish on
/// cue; backends listen on one fixed port of 127.0.0.1 and 127.0.0.2 (all of 127/8 is loopback on Linux), like
/// replicas of a scaled compose service. The last test resolves `localhost` for real.
@Suite(.serialized)
struct DiscoveryTests {
    private static let replicaPort = 57171
    private static let realPort = 57172
    private static let target = DiscoveryTarget(host: "replica", port: replicaPort)

    private func url(_ ip: String) -> String { "http://\(ip):\(Self.replicaPort)" }

    /// A proxy discovering `replica` through `resolver`, in front of the `fixed` backends; stops `replicas` too.
    private func discovering(
        _ resolver: FakeResolver, replicas: [TestBackend], fixed: [TestBackend] = [],
        _ body: (ProxyServer, Int) async throws -> Void
    ) async throws {
        do {
            try await withProxy(fixed, resolver: resolver, configure: { $0.discover = [Self.target] }, body)
        } catch {
            for replica in replicas { await replica.stop() }
            throw error
        }
        for replica in replicas { await replica.stop() }
    }

    @Test func addressesJoinAndLeaveTheRotation() async throws {
        let one = try await TestBackend.start("one", host: "127.0.0.1", port: Self.replicaPort)
        let two = try await TestBackend.start("two", host: "127.0.0.2", port: Self.replicaPort)
        let resolver = FakeResolver()
        resolver.set("replica", to: ["127.0.0.1"])
        try await discovering(resolver, replicas: [one, two]) { proxy, port in
            try await eventually("127.0.0.1 is discovered and healthy") {
                proxy.backendStatuses().map { [$0.url: $0.healthy] } == [[url("127.0.0.1"): true]]
            }
            #expect(one.probeHost.withLock { $0 } == "replica:\(Self.replicaPort)", "probes name the DNS name")
            let client = try await TestClient.connect(port: port)
            #expect(try await client.predict() == "one")

            resolver.set("replica", to: ["127.0.0.1", "127.0.0.2"])
            try await eventually("127.0.0.2 joins") {
                proxy.backendURLs == [url("127.0.0.1"), url("127.0.0.2")] && proxy.status(of: two)?.healthy == true
            }
            var seen: [String] = []
            for _ in 0..<6 { seen.append(try await client.predict()) }
            #expect(seen.filter { $0 == "one" }.count == 3 && seen.filter { $0 == "two" }.count == 3)

            resolver.set("replica", to: ["127.0.0.2"])
            try await eventually("127.0.0.1 leaves") { proxy.backendURLs == [url("127.0.0.2")] }
            for _ in 0..<4 { #expect(try await client.predict() == "two") }
            let metrics = try await client.request(.GET, "/metrics")
            #expect(!metrics.body.contains(url("127.0.0.1")), "a removed backend's gauges leave /metrics")
            #expect(metrics.body.contains("trainyard_proxy_backend_healthy{backend=\"\(url("127.0.0.2"))\"} 1.0"))
            let listing = try await client.request(.GET, "/proxy/backends")
            #expect(listing.body.contains(url("127.0.0.2")) && !listing.body.contains(url("127.0.0.1")))

            // The address comes back: a new backend, admitted by its probe again.
            resolver.set("replica", to: ["127.0.0.2", "127.0.0.1"])
            try await eventually("127.0.0.1 is back") { proxy.status(of: one)?.healthy == true }
            #expect(proxy.backendURLs == [url("127.0.0.2"), url("127.0.0.1")])
            #expect(proxy.status(of: one)?.requests == 0)
            await client.close()
        }
    }

    @Test func aRequestInFlightOnAVanishedBackendFinishes() async throws {
        let one = try await TestBackend.start("one", host: "127.0.0.1", port: Self.replicaPort)
        let two = try await TestBackend.start("two", host: "127.0.0.2", port: Self.replicaPort)
        let resolver = FakeResolver()
        resolver.set("replica", to: ["127.0.0.1"])
        try await discovering(resolver, replicas: [one, two]) { proxy, port in
            try await eventually("127.0.0.1 is healthy") { proxy.status(of: one)?.healthy == true }
            one.answerDelay.store(1500, ordering: .relaxed)
            let slow = try await TestClient.connect(port: port)
            async let response = slow.request(body: "{}")
            try await eventually("the request reached 127.0.0.1") { one.requests.load(ordering: .relaxed) == 1 }
            resolver.set("replica", to: ["127.0.0.2"])
            try await eventually("127.0.0.1 leaves") { proxy.backendURLs == [url("127.0.0.2")] }
            let answered = try await response
            #expect(answered.status == .ok)
            #expect(answered.headers.first(name: "x-backend") == "one")
            try await eventually("127.0.0.2 is healthy") { proxy.status(of: two)?.healthy == true }
            #expect(try await slow.predict() == "two", "the client connection is still usable")
            await slow.close()
        }
    }

    @Test func failedResolutionKeepsTheLastSetAndAFirstFailureStillStarts() async throws {
        let one = try await TestBackend.start("one", host: "127.0.0.1", port: Self.replicaPort)
        let resolver = FakeResolver()
        try await discovering(resolver, replicas: [one]) { proxy, port in
            try await resolver.waitForLookups()
            #expect(proxy.backendStatuses().isEmpty)
            let client = try await TestClient.connect(port: port)
            let refused = try await client.request(body: "{}")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.body == "{\"error\": \"no healthy backend\"}")

            resolver.set("replica", to: ["127.0.0.1"])
            try await eventually("127.0.0.1 is discovered and healthy") { proxy.status(of: one)?.healthy == true }
            resolver.fail("replica")
            try await resolver.waitForLookups(3)
            #expect(proxy.backendURLs == [url("127.0.0.1")])
            #expect(try await client.predict() == "one")
            await client.close()
        }
    }

    @Test func discoveredBackendsFollowTheFixedOnes() async throws {
        let fixed = try await TestBackend.start("fixed")
        let one = try await TestBackend.start("one", host: "127.0.0.1", port: Self.replicaPort)
        let resolver = FakeResolver()
        resolver.set("replica", to: ["127.0.0.1"])
        try await discovering(resolver, replicas: [one], fixed: [fixed]) { proxy, port in
            try await eventually("127.0.0.1 is healthy") { proxy.status(of: one)?.healthy == true }
            #expect(proxy.backendURLs == [fixed.address.description, url("127.0.0.1")])
            let client = try await TestClient.connect(port: port)
            var seen: Set<String> = []
            for _ in 0..<4 { seen.insert(try await client.predict()) }
            #expect(seen == ["fixed", "one"])
            // A name resolving to nothing of its own leaves the --backend in place.
            resolver.set("replica", to: [])
            try await eventually("127.0.0.1 leaves") { proxy.backendURLs == [fixed.address.description] }
            #expect(try await client.predict() == "fixed")
            await client.close()
        }
    }

    @Test func localhostIsResolvedWithTheSystemResolver() async throws {
        let local = try await TestBackend.start("local", host: "127.0.0.1", port: Self.realPort)
        try await withProxy([local], waitUntilHealthy: false, configure: {
            $0.backends = []
            $0.discover = [DiscoveryTarget(host: "localhost", port: Self.realPort)]
        }) { proxy, port in
            try await eventually("127.0.0.1 is discovered and healthy") { proxy.status(of: local)?.healthy == true }
            #expect(local.probeHost.withLock { $0 } == "localhost:\(Self.realPort)")
            // localhost may also resolve to ::1, where nothing listens: that backend never passes its probe.
            #expect(proxy.backendStatuses().allSatisfy { $0.url == local.address.description || !$0.healthy })
            let client = try await TestClient.connect(port: port)
            for _ in 0..<3 { #expect(try await client.predict() == "local") }
            await client.close()
        }
    }
}
