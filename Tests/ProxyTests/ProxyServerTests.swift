import Foundation
import NIOHTTP1
import NIOPosix
@testable import Proxy
import Synchronization
import Testing

/// The proxy end to end: in-process backends on 127.0.0.1, a real proxy, a real HTTP client.
/// Serialized: the tests measure timeouts and health, which the rest of the suite already loads the cores for.
@Suite(.serialized)
struct ProxyServerTests {
    @Test func requestsAlternateBetweenBackends() async throws {
        let a = try await TestBackend.start("a")
        let b = try await TestBackend.start("b")
        try await withProxy([a, b]) { _, port in
            let client = try await TestClient.connect(port: port)
            var seen: [String] = []
            for _ in 0..<10 { seen.append(try await client.predict()) }
            await client.close()
            #expect(seen.filter { $0 == "a" }.count == 5)
            #expect(seen.filter { $0 == "b" }.count == 5)
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 != $1 })
        }
    }

    @Test func responseHeadersComeFromTheBackend() async throws {
        let a = try await TestBackend.start("a")
        try await withProxy([a]) { _, port in
            let client = try await TestClient.connect(port: port)
            let response = try await client.request(.POST, "/v2/models/churn/infer", body: "{}")
            await client.close()
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "x-model-version") == "a-v1")
            #expect(response.headers.first(name: "content-length") == String(response.body.utf8.count))
        }
    }

    @Test func requestIDIsGeneratedAndForwarded() async throws {
        let a = try await TestBackend.start("a")
        try await withProxy([a]) { _, port in
            let client = try await TestClient.connect(port: port)
            let generated = try await client.request(body: "{}")
            let id = try #require(generated.headers.first(name: "x-request-id"))
            #expect(id.count == 16 && id.allSatisfy(\.isHexDigit))
            #expect(generated.headers.first(name: "x-seen-request-id") == id)

            let given = try await client.request(headers: [("X-Request-Id", "client-abc-123")], body: "{}")
            #expect(given.headers[canonicalForm: "x-request-id"] == ["client-abc-123"])
            #expect(given.headers.first(name: "x-seen-request-id") == "client-abc-123")
            #expect(given.body.contains("client-abc-123"))
            await client.close()
        }
    }

    @Test func bodyOverTheLimitIsRefusedWith413() async throws {
        let a = try await TestBackend.start("a")
        try await withProxy([a], configure: { $0.maxBodyBytes = 1000 }) { _, port in
            let small = try await TestClient.connect(port: port)
            let fits = try await small.request(body: String(repeating: "x", count: 1000))
            #expect(fits.status == .ok)
            #expect(fits.body.contains("\"bodyBytes\": 1000"))
            let chunkedFits = try await small.request(body: String(repeating: "x", count: 900), chunked: true)
            #expect(chunkedFits.body.contains("\"bodyBytes\": 900"))
            await small.close()

            let declared = try await TestClient.connect(port: port)
            let tooLarge = try await declared.request(body: String(repeating: "x", count: 1001))
            #expect(tooLarge.status == .payloadTooLarge)
            #expect(tooLarge.body.contains("1000 bytes"))
            #expect(tooLarge.headers.first(name: "x-request-id") != nil)
            await declared.close()

            let streamed = try await TestClient.connect(port: port)
            let chunkedTooLarge = try await streamed.request(body: String(repeating: "x", count: 1600), chunked: true)
            #expect(chunkedTooLarge.status == .payloadTooLarge)
            await streamed.close()
            #expect(a.requests.load(ordering: .relaxed) == 2)
        }
    }

    @Test func bodiesOnBothSidesOfTheInlineLimitArriveWhole() async throws {
        // Up to ForwardedRequest.inlineBodyBytes the body travels in the head's buffer, beyond it as its own write.
        let a = try await TestBackend.start("a")
        try await withProxy([a]) { _, port in
            let client = try await TestClient.connect(port: port)
            let limit = ForwardedRequest.inlineBodyBytes
            for (size, chunked) in [(limit, false), (limit + 1, false), (200_000, false), (limit + 1, true), (3, false)] {
                let reply = try await client.request(body: String(repeating: "y", count: size), chunked: chunked)
                #expect(reply.status == .ok && reply.body.contains("\"bodyBytes\": \(size)"), "\(size) chunked \(chunked): \(reply.body)")
            }
            await client.close()
        }
    }

    @Test(arguments: [1, 4]) func backendShutDownMidwayCostsNoRequestAndIsReadmitted(pipelineDepth: Int) async throws {
        let a = try await TestBackend.start("a")
        let b = try await TestBackend.start("b")
        try await withProxy([a, b], configure: { $0.pipelineDepth = pipelineDepth }) { proxy, port in
            let failures = Tally()
            let served = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let client = try await TestClient.connect(port: port)
                        for _ in 0..<60 {
                            do {
                                _ = try await client.predict()
                                served.add()
                            } catch {
                                failures.add()
                            }
                        }
                        await client.close()
                    }
                }
                group.addTask {
                    try await eventually("some requests were served") { served.count >= 40 }
                    await b.stop()
                }
                try await group.waitForAll()
            }
            #expect(failures.count == 0)
            #expect(served.count == 240)
            #expect(proxy.status(of: b)?.healthy == false)

            try await b.restart()
            try await eventually("b is healthy again") { proxy.status(of: b)?.healthy == true }
            let client = try await TestClient.connect(port: port)
            var seen: Set<String> = []
            for _ in 0..<4 { seen.insert(try await client.predict()) }
            await client.close()
            #expect(seen == ["a", "b"])
        }
    }

    @Test func refusedConnectionsEjectTheBackendAndAreRetried() async throws {
        let a = try await TestBackend.start("a")
        let gone = try await TestBackend.start("gone")
        try await withProxy([gone, a], configure: { $0.healthInterval = .seconds(60) }) { proxy, port in
            // The first probe runs at start and the next in a minute: stop the backend after the first has been
            // answered, so that only requests can find out.
            try await eventually("the first probe was answered") { gone.probes.load(ordering: .relaxed) >= 1 }
            await gone.stop()
            let client = try await TestClient.connect(port: port)
            for _ in 0..<6 { #expect(try await client.predict() == "a") }
            let metrics = try await client.request(.GET, "/metrics")
            await client.close()
            #expect(proxy.status(of: gone)?.healthy == false)
            #expect(proxy.status(of: gone)?.failures == 1)
            #expect(metrics.body.contains("trainyard_proxy_retries_total 1"))
            #expect(metrics.body.contains("trainyard_proxy_ejections_total{backend=\"\(gone.address)\"} 1"))
        }
    }

    @Test func allBackendsDownGives503() async throws {
        let first = try await TestBackend.start("x")
        let second = try await TestBackend.start("y")
        await first.stop()
        await second.stop()
        try await withProxy([first, second], waitUntilHealthy: false) { _, port in
            let client = try await TestClient.connect(port: port)
            let response = try await client.request(body: "{}")
            #expect(response.status == .serviceUnavailable)
            #expect(response.body == "{\"error\": \"no healthy backend\"}")
            #expect(response.headers.first(name: "content-type") == "application/json")
            await client.close()
        }
    }

    @Test(arguments: [1, 4]) func backend503IsRetriedOnceOnAnother(pipelineDepth: Int) async throws {
        let a = try await TestBackend.start("a")
        let b = try await TestBackend.start("b")
        b.answer503.store(true, ordering: .relaxed)
        try await withProxy([a, b], configure: { $0.pipelineDepth = pipelineDepth }) { _, port in
            let client = try await TestClient.connect(port: port)
            for _ in 0..<6 { #expect(try await client.predict() == "a") }
            await client.close()
        }
        let only = try await TestBackend.start("only")
        only.answer503.store(true, ordering: .relaxed)
        try await withProxy([only], configure: { $0.pipelineDepth = pipelineDepth }) { _, port in
            let client = try await TestClient.connect(port: port)
            let response = try await client.request(body: "{}")
            #expect(response.status == .serviceUnavailable)
            #expect(response.body.contains("model not loaded"))
            await client.close()
        }
    }

    @Test func failingHealthCheckTakesBackendOutAndBackIn() async throws {
        let a = try await TestBackend.start("a")
        let b = try await TestBackend.start("b")
        try await withProxy([a, b]) { proxy, port in
            b.ready.store(false, ordering: .relaxed)
            try await eventually("b is unhealthy") { proxy.status(of: b)?.healthy == false }
            let client = try await TestClient.connect(port: port)
            for _ in 0..<4 { #expect(try await client.predict() == "a") }
            let listing = try await client.request(.GET, "/proxy/backends")
            let statuses = try JSONDecoder().decode([BackendStatus].self, from: Data(listing.body.utf8))
            #expect(statuses.map(\.healthy) == [true, false])
            #expect(statuses.map(\.url) == [a.address.description, b.address.description])

            b.ready.store(true, ordering: .relaxed)
            try await eventually("b is healthy again") { proxy.status(of: b)?.healthy == true }
            var seen: Set<String> = []
            for _ in 0..<4 { seen.insert(try await client.predict()) }
            #expect(seen == ["a", "b"])
            await client.close()
        }
    }

    @Test func metricsCountResponsesByStatus() async throws {
        let a = try await TestBackend.start("a")
        try await withProxy([a], configure: { $0.maxBodyBytes = 10 }) { _, port in
            let client = try await TestClient.connect(port: port)
            for _ in 0..<3 { _ = try await client.request(body: "{}") }
            let metrics = try await client.request(.GET, "/metrics")
            await client.close()
            let refused = try await TestClient.connect(port: port)
            _ = try await refused.request(body: String(repeating: "x", count: 11))
            await refused.close()
            let again = try await TestClient.connect(port: port)
            let after = try await again.request(.GET, "/metrics")
            await again.close()
            #expect(metrics.status == .ok)
            #expect(metrics.body.contains("trainyard_proxy_requests_total{code=\"200\"} 3"))
            #expect(metrics.body.contains("trainyard_proxy_retries_total 0"))
            #expect(metrics.body.contains("trainyard_proxy_in_flight 0.0"))
            #expect(metrics.body.contains("trainyard_proxy_backend_healthy{backend=\"\(a.address)\"} 1.0"))
            #expect(metrics.body.contains("trainyard_proxy_request_duration_seconds_count 3"))
            #expect(after.body.contains("trainyard_proxy_requests_total{code=\"413\"} 1"))
        }
    }

    @Test func tooManyRequestsInFlightGet503() async throws {
        let a = try await TestBackend.start("a")
        a.answerDelay.store(2000, ordering: .relaxed)
        try await withProxy([a], configure: { $0.maxInFlight = 1 }) { _, port in
            let slow = try await TestClient.connect(port: port)
            async let first = slow.request(body: "{}")
            try await eventually("the first request reached the backend") { a.requests.load(ordering: .relaxed) == 1 }
            let other = try await TestClient.connect(port: port)
            let refused = try await other.request(body: "{}")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.body == "{\"error\": \"proxy overloaded: 1 requests in flight\"}")
            #expect(try await first.status == .ok)
            #expect(try await other.request(body: "{}").status == .ok)
            await slow.close()
            await other.close()
        }
    }

    @Test(arguments: [1, 4]) func slowBackendTimesOutAndTheRequestIsRetried(pipelineDepth: Int) async throws {
        let a = try await TestBackend.start("a")
        let slow = try await TestBackend.start("slow")
        slow.answerDelay.store(4000, ordering: .relaxed)
        // Probes only at start (the harness waits for them), so that none readmits `slow` before the check.
        try await withProxy([slow, a], configure: {
            $0.requestTimeout = .seconds(1)
            $0.healthInterval = .seconds(60)
            $0.pipelineDepth = pipelineDepth
        }) { proxy, port in
            let client = try await TestClient.connect(port: port)
            #expect(try await client.predict() == "a")
            await client.close()
            #expect(proxy.status(of: slow)?.healthy == false)
            #expect(proxy.status(of: slow)?.failures == 1)
        }
        let only = try await TestBackend.start("only")
        only.answerDelay.store(4000, ordering: .relaxed)
        try await withProxy([only], configure: { $0.requestTimeout = .seconds(1); $0.ejectAfter = 5; $0.pipelineDepth = pipelineDepth }) { _, port in
            let client = try await TestClient.connect(port: port)
            let response = try await client.request(body: "{}")
            #expect(response.status == .gatewayTimeout)
            #expect(response.body.contains("timed out"))
            await client.close()
        }
    }

    @Test func stopLetsTheRequestInProgressFinish() async throws {
        let a = try await TestBackend.start("a")
        a.answerDelay.store(1000, ordering: .relaxed)
        try await withProxy([a]) { proxy, port in
            let client = try await TestClient.connect(port: port)
            async let response = client.request(body: "{}")
            try await eventually("the request reached the backend") { a.requests.load(ordering: .relaxed) == 1 }
            await proxy.stop()
            #expect(try await response.status == .ok)
            await client.close()
            await #expect(throws: (any Error).self) { try await TestClient.connect(port: port) }
        }
    }

    @Test(arguments: [1, 4]) func backendClosingEachConnectionIsHandled(pipelineDepth: Int) async throws {
        let a = try await TestBackend.start("a")
        a.closeAfterResponse.store(true, ordering: .relaxed)
        try await withProxy([a], configure: { $0.pipelineDepth = pipelineDepth }) { proxy, port in
            let client = try await TestClient.connect(port: port)
            for _ in 0..<5 { #expect(try await client.predict() == "a") }
            await client.close()
            // Concurrent clients: with pipelining, requests queued behind a response that closes the connection
            // are sent again on a fresh connection, and none of that counts as the backend failing.
            let failures = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let client = try await TestClient.connect(port: port)
                        for _ in 0..<20 {
                            do { _ = try await client.predict() } catch { failures.add() }
                        }
                        await client.close()
                    }
                }
                try await group.waitForAll()
            }
            #expect(failures.count == 0)
            #expect(proxy.status(of: a)?.failures == 0)
        }
    }

    @Test func malformedRequestGets400AndClose() async throws {
        let a = try await TestBackend.start("a")
        try await withProxy([a]) { _, port in
            let reply = try await RawConnection.exchange(port: port, "NOT HTTP AT ALL\r\n\r\n")
            #expect(reply.hasPrefix("HTTP/1.1 400"))
            // A request the backend might frame differently never reaches it.
            let smuggled = try await RawConnection.exchange(
                port: port, "POST /predict HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            #expect(smuggled.hasPrefix("HTTP/1.1 400") && smuggled.contains("both Content-Length and Transfer-Encoding"), "\(smuggled)")
            #expect(smuggled.contains("connection: close"))
        }
    }

    @Test func aLargeResponseStreamsAtTheSlowClientsPace() async throws {
        let a = try await TestBackend.start("a")
        let size = 96 << 20
        a.largeBodyBytes.store(size, ordering: .relaxed)
        try await withProxy([a]) { _, port in
            let reader = try await SlowReader.send(port: port, "GET /large HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
            // Kernel buffers on the way hold a few tens of MiB at most; the rest must wait for the client.
            try await Task.sleep(for: .seconds(2))
            let writtenEarly = a.largeBodyWritten.load(ordering: .relaxed)
            #expect(!writtenEarly, "the proxy read the whole response from the backend while the client read nothing")
            let response = try await reader.readAll()
            #expect(response.status == "HTTP/1.1 200 OK")
            #expect(response.bodyBytes == size)
            #expect(response.patternHolds)
            let writtenAtLast = a.largeBodyWritten.load(ordering: .relaxed)
            #expect(writtenAtLast)
        }
    }

    @Test func aChunkedResponseIsRechunkedForHTTP11AndClosedForHTTP10() async throws {
        let a = try await TestBackend.start("a")
        try await withProxy([a]) { _, port in
            let http11 = try await RawConnection.exchange(port: port, "GET /chunked HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
            #expect(http11.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(http11.contains("\r\ntransfer-encoding: chunked\r\n") && http11.contains("\r\nx-backend: a\r\n"))
            // Chunk boundaries may differ from the backend's (reads can split a chunk); the content and the end may not.
            let body11 = Self.dechunk(http11)
            #expect(body11.content == "alpha beta gamma" && body11.rest == "0\r\n\r\n", "\(http11)")
            // Large chunks (sent without being gathered) and small ones, in order.
            let large = try await RawConnection.exchange(port: port, "GET /chunked-large HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
            let largeBody = Self.dechunk(large)
            #expect(largeBody.content == TestBackend.largeChunks.joined() && largeBody.rest == "0\r\n\r\n")
            let http10 = try await RawConnection.exchange(port: port, "GET /chunked HTTP/1.0\r\nHost: p\r\n\r\n")
            #expect(http10.hasPrefix("HTTP/1.0 200 OK\r\n") && http10.contains("\r\nconnection: close\r\n"))
            #expect(!http10.lowercased().contains("transfer-encoding"))
            #expect(http10.hasSuffix("\r\n\r\nalpha beta gamma"), "\(http10)")
        }
    }

    /// The content of a chunked response's body, and what follows its last non-empty chunk.
    private static func dechunk(_ response: String) -> (content: String, rest: String) {
        let body = response.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        var rest = Array(body.utf8)[...]
        var decoded: [UInt8] = []
        while let end = rest.firstRange(of: Array("\r\n".utf8)),
              let size = Int(String(decoding: rest[..<end.lowerBound], as: UTF8.self), radix: 16), size > 0 {
            decoded += rest[end.upperBound...].prefix(size)
            rest = rest[end.upperBound...].dropFirst(size + 2)
        }
        return (String(decoding: decoded, as: UTF8.self), String(decoding: rest, as: UTF8.self))
    }

    @Test func pipeliningToBackendsStaysWithinTheDepthAndKeepsEachAnswerWithItsRequest() async throws {
        // Each request waits 20 ms at the backend, so concurrent requests find the connection in use busy.
        let clients = 8
        for depth in [1, 3] {
            let a = try await TestBackend.start("a")
            a.answerDelay.store(20, ordering: .relaxed)
            try await withProxy([a], configure: { $0.pipelineDepth = depth }) { proxy, port in
                let mismatches = Tally()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for client in 0..<clients {
                        group.addTask {
                            let connection = try await TestClient.connect(port: port)
                            for request in 0..<10 {
                                let id = "c\(client)-r\(request)"
                                let response = try await connection.request(headers: [("X-Request-Id", id)], body: "{}")
                                if response.status != .ok || !response.body.contains("\"requestId\": \"\(id)\"") { mismatches.add() }
                            }
                            await connection.close()
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(mismatches.count == 0, "depth \(depth)")
                #expect(a.requests.load(ordering: .relaxed) == clients * 10)
                let outstanding = a.maxOutstanding.load(ordering: .relaxed)
                if depth == 1 {
                    #expect(outstanding == 1, "one request at a time on each connection")
                } else {
                    #expect(outstanding > 1 && outstanding <= depth, "\(outstanding) requests awaited on one connection")
                }
                #expect(proxy.status(of: a)?.failures == 0)
            }
        }
    }

    @Test func nothingIsPipelinedBehindALargeRequest() async throws {
        let a = try await TestBackend.start("a")
        a.largeBodyDelay.store(1500, ordering: .relaxed)
        // One event loop: both clients' requests share its backend connections.
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try await withProxy([a], group: loop, configure: { $0.pipelineDepth = 4 }) { _, port in
            let batch = try await TestClient.connect(port: port)
            let small = try await TestClient.connect(port: port)
            // Warms a backend connection, so that the small request below need not wait for a connect.
            _ = try await batch.predict()
            _ = try await small.predict()
            let large = Task { (try await batch.request(body: "[" + String(repeating: "1,", count: 12_000) + "1]"), ContinuousClock.now) }
            try await eventually("the large request reached the backend") { a.requests.load(ordering: .relaxed) == 3 }
            let answer = try await small.request(body: "{}")
            let smallDone = ContinuousClock.now
            #expect(answer.status == .ok)
            // The backend holds the large request 1.5 s and answers the small one at once: pipelined behind the
            // large one, the small answer could only come after it. Order, not a time bound, so a loaded machine
            // cannot fail it.
            let (largeAnswer, largeDone) = try await large.value
            #expect(smallDone < largeDone, "the small request waited for the large one")
            #expect(largeAnswer.status == .ok)
            await batch.close()
            await small.close()
        }
        try await loop.shutdownGracefully()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let a = try await TestBackend.start("a")
        try await withProxy([a]) { _, port in
            let request = { (id: String, close: Bool) in
                "POST /predict HTTP/1.1\r\nHost: p\r\nX-Request-Id: \(id)\r\nContent-Length: 2\r\n"
                    + (close ? "Connection: close\r\n" : "") + "\r\n{}"
            }
            let reply = try await RawConnection.exchange(
                port: port, request("first", false) + request("second", false) + request("third", true)
            )
            let order = ["first", "second", "third"].compactMap { reply.range(of: "\"requestId\": \"\($0)\"")?.lowerBound }
            #expect(order.count == 3 && order == order.sorted())
        }
    }
}

/// A counter shared by concurrent test tasks.
final class Tally: Sendable {
    private let value = Atomic<Int>(0)

    func add() { value.add(1, ordering: .relaxed) }

    var count: Int { value.load(ordering: .relaxed) }
}
