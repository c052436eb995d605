import Foundation
import Testing
import TestSupport
import TrainyardProtocol
import ZeroMQ

/// The coordinator against a careless submitter or an unauthenticated ZeroMQ peer (issue 19,
/// items 8–10): data it must not read, a worker id claimed from another connection, fields
/// and work beyond their limits. After each, `STATUS_REQUEST` must still be answered at once.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HostileCoordinatorInputTests {
    /// A DEALER that talks to the coordinator directly, without a routing id.
    final class Peer: Sendable {
        let socket: ZMQSocketLoop
        let inbox: Inbox

        init(_ endpoint: String, context: ZMQContext) throws {
            socket = try ZMQSocketLoop(context: context, kind: .dealer, name: "hostile-peer") { socket in
                try socket.set(.linger(milliseconds: 0))
                try socket.connect(endpoint)
            }
            inbox = Inbox(socket.messages)
        }

        /// Sends `message` and returns the reply with the same correlation id, or `nil` after `timeout`.
        func request(_ message: Message, correlationID: UInt64, timeout: Duration = .seconds(5)) async -> Envelope? {
            socket.send(WireCodec.encode(Envelope(message, correlationID: correlationID)))
            return await request(correlationID: correlationID, timeout: timeout)
        }

        func request(frames: [ZMQFrame], correlationID: UInt64, timeout: Duration = .seconds(5)) async -> Envelope? {
            socket.send(frames)
            return await request(correlationID: correlationID, timeout: timeout)
        }

        private func request(correlationID: UInt64, timeout: Duration) async -> Envelope? {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                guard let frames = await inbox.next(within: deadline - ContinuousClock.now),
                      let envelope = try? WireCodec.decode(frames) else { continue }
                if envelope.correlationID == correlationID { return envelope }
            }
            return nil
        }

        /// How long the coordinator takes to answer a status request, or `nil` if it does not within 1 s.
        func statusLatency(correlationID: UInt64) async -> (ClusterStatus, Duration)? {
            let start = ContinuousClock.now
            // Generous for a loaded machine running the whole suite in parallel; the old coordinator never answered.
            guard let reply = await request(.statusRequest, correlationID: correlationID, timeout: .seconds(5)),
                  case .statusReply(let status) = reply.message else { return nil }
            return (status, ContinuousClock.now - start)
        }
    }

    static func errorReply(_ envelope: Envelope?) -> ErrorReply? {
        guard case .error(let reply)? = envelope?.message else { return nil }
        return reply
    }

    static func register(_ id: String, host: String = "h") -> Register {
        Register(workerID: id, host: host, cores: 1, memoryBytes: 1, pid: 1, software: "hostile")
    }

    static func temporaryDirectory(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func jobsOnFIFOsDevicesAndFilesOutsideTheDataRootsAreRefusedAndTheCoordinatorKeepsAnswering() async throws {
        let root = try Self.temporaryDirectory("trainyard-root")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cluster = Cluster(bind: "tcp://127.0.0.1:56301")
        cluster.dataRoots = [root]
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        try #require(mkfifo(root + "/fifo.csv", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: root + "/passwd.csv", withDestinationPath: "/etc/passwd")
        try FileManager.default.createDirectory(atPath: root + "/dir.csv", withIntermediateDirectories: true)

        let context = try ZMQContext()
        let peer = try Peer(cluster.endpoint, context: context)
        defer { peer.socket.close() }
        let cases: [(path: String, expected: String)] = [
            (root + "/fifo.csv", "is a FIFO, not a regular file"),
            ("/dev/zero", "is outside the coordinator's data roots"),
            ("/etc/passwd", "is outside the coordinator's data roots"),
            ("/proc/self/environ", "is outside the coordinator's data roots"),
            (root + "/passwd.csv", "is outside the coordinator's data roots"),
            (root + "/../../etc/passwd", "is outside the coordinator's data roots"),
            (root + "/dir.csv", "is a directory, not a regular file"),
        ]
        for (index, test) in cases.enumerated() {
            let result = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--workers", "1",
                                                         "--data", test.path, "--label", "churned"], timeout: .seconds(10))
            #expect(result.status > 0, "\(test.path) was not refused: \(result)")
            #expect(result.stderr.contains(test.expected), "\(test.path): \(result.stderr)")
            #expect(!result.stderr.contains("root:x:") && !result.stderr.contains("PATH="), "file contents leaked: \(result.stderr)")
            let status = await peer.statusLatency(correlationID: UInt64(100 + index))
            #expect(status != nil, "status unanswered after a job on \(test.path):\n\(cluster.logs)")
            #expect(status?.0.workers.first?.state == .alive, "w1 should stay alive")
        }
        let list = try await TrainyardProcess.run(["jobs", "list", "--coordinator", cluster.endpoint, "--json"])
        #expect(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "queued: \(list.stdout)")
        cluster.coordinator!.signal(SIGTERM)
        #expect(await cluster.coordinator!.waitForExit(timeout: .seconds(5)) != nil, "SIGTERM ignored:\n\(cluster.logs)")
    }

    @Test func aJobFailingOnABadValueReportsItsLineAndColumnButNotTheValue() async throws {
        let root = try Self.temporaryDirectory("trainyard-root")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var rows = ["secret,x,churned"]
        for i in 0..<50 { rows.append("\(i),\(i % 7),\(i % 2)") }
        rows.insert("TOPSECRET-VALUE,3,1", at: 5)
        let data = root + "/leaky.csv"
        try (rows.joined(separator: "\n") + "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56302")
        cluster.dataRoots = [root]
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let result = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--workers", "1",
                                                     "--data", data, "--label", "churned", "--numeric", "secret",
                                                     "--n-trees", "2", "--wait", "--json"], timeout: .seconds(60))
        let everything = result.stdout + result.stderr
        #expect(everything.contains("failed"), "\(result)\n\(cluster.logs)")
        #expect(everything.contains("leaky.csv:6: column 'secret'"), "\(result)")
        #expect(!everything.contains("TOPSECRET"), "the value leaked to the submitter: \(result)")
    }

    @Test func aWorkerIDHeldByALiveWorkerCannotBeTakenOverFromAnotherConnection() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56303")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        let victim = try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")

        let context = try ZMQContext()
        let impostor = try Peer(cluster.endpoint, context: context)
        defer { impostor.socket.close() }
        let reply = await impostor.request(.register(Self.register("w1")), correlationID: 1)
        let error = try #require(Self.errorReply(reply), "the impostor got \(String(describing: reply?.message.type)), not an error")
        #expect(error.code == .workerIDInUse)
        #expect(error.message.contains("held by a live worker on another connection"), "\(error)")
        // Several heartbeat intervals later the victim is still the one registered, once.
        try await Task.sleep(for: .milliseconds(800))
        let (status, _) = try #require(await impostor.statusLatency(correlationID: 2))
        let row = try #require(status.workers.first { $0.workerID == "w1" })
        #expect(row.state == .alive && row.registrations == 1 && row.pid == victim.pid, "\(row)\n\(cluster.logs)")
        #expect(cluster.coordinator!.log.contains("registration refused"))
    }

    @Test func oversizedFieldsAndUnboundedWorkAreRefusedNamingTheFieldAndTheLimit() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56304")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let context = try ZMQContext()
        let peer = try Peer(cluster.endpoint, context: context)
        defer { peer.socket.close() }

        // A 16 MiB host: refused by the metadata bound before it is decoded.
        let huge = await peer.request(.register(Self.register("big", host: String(repeating: "h", count: 16 << 20))), correlationID: 1)
        let hugeError = try #require(Self.errorReply(huge), "a 16 MiB host was not refused: \(String(describing: huge?.message.type))")
        #expect(hugeError.code == .limitExceeded && hugeError.field == "metadata" && hugeError.limit == "≤ 65536 bytes",
                "\(hugeError)")
        // A host within the metadata bound but over its own.
        let long = await peer.request(.register(Self.register("long", host: String(repeating: "h", count: 300))), correlationID: 2)
        let longError = try #require(Self.errorReply(long))
        #expect(longError.code == .limitExceeded && longError.field == "host" && longError.limit == "≤ 255 bytes", "\(longError)")
        #expect(longError.message.utf8.count < 200)

        let (status, latency) = try #require(await peer.statusLatency(correlationID: 3), "status unanswered:\n\(cluster.logs)")
        #expect(Set(status.workers.map(\.workerID)) == ["w1"])
        #expect(latency < .milliseconds(500), "status took \(latency)")

        // 2^62 trees: refused, nothing queued.
        let submitted = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--workers", "1",
                                                        "--data", "/nonexistent.csv", "--label", "y", "--n-trees", "\(1 << 62)"])
        #expect(submitted.status > 0)
        #expect(submitted.stderr.contains("spec.gbdt.trees is out of range: got 4611686018427387904, the limit is 1...100000"),
                "\(submitted.stderr)")
        let list = try await TrainyardProcess.run(["jobs", "list", "--coordinator", cluster.endpoint, "--json"])
        #expect(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "queued: \(list.stdout)")
    }

    @Test func aFloodOfStatusRequestsIsAnsweredFromTheCachedView() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56305")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2"] { try cluster.startWorker(id) }
        try #require(await cluster.waitUntilAlive(["w1", "w2"]) != nil, "\(cluster.logs)")
        let context = try ZMQContext()
        let peer = try Peer(cluster.endpoint, context: context)
        defer { peer.socket.close() }
        let count = 2000
        let start = ContinuousClock.now
        for i in 1...count { peer.socket.send(WireCodec.encode(Envelope(.statusRequest, correlationID: UInt64(i)))) }
        var answered = 0
        while answered < count, let frames = await peer.inbox.next(within: .seconds(5)) {
            if case .statusReply(let status)? = try? WireCodec.decode(frames).message, status.workers.count == 2 { answered += 1 }
        }
        #expect(answered == count)
        #expect(ContinuousClock.now - start < .seconds(5), "\(count) status requests took \(ContinuousClock.now - start)")
        #expect(await cluster.waitUntilAlive(["w1", "w2"], timeout: .seconds(2)) != nil, "workers dropped:\n\(cluster.logs)")
    }
}
