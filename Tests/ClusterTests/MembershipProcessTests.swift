import Foundation
import Testing
import TestSupport
import TrainyardProtocol
import ZeroMQ

/// Real coordinator and worker processes on loopback, killed and restarted.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MembershipProcessTests {
    @Test func threeWorkersRegisterAndAKilledWorkerIsDeclaredDeadWithinTheHeartbeatTimeout() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56101")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for id in ["w1", "w2", "w3"] { try cluster.startWorker(id) }
        let alive = await cluster.waitUntilAlive(["w1", "w2", "w3"])
        #expect(alive != nil, "workers did not register:\n\(cluster.logs)")
        #expect(alive?["w2"]?.pid == cluster.workers["w2"]?.pid)

        let killedAt = ContinuousClock.now
        cluster.workers["w2"]!.signal(SIGKILL)
        let dead = await eventually(timeout: .seconds(30)) { await cluster.probe.workers(in: .dead)?["w2"] }
        let noticed = ContinuousClock.now - killedAt
        #expect(dead != nil, "w2 never declared dead:\n\(cluster.logs)")
        // Declared dead only once silent for longer than interval × liveness...
        #expect((dead?.value.lastSeenSecondsAgo ?? 0) >= Cluster.deadAfter.seconds)
        // ...and not much later. The exact rule (dead on the first tick after interval ×
        // liveness of silence) is proven with a hand-moved clock in MembershipTests; here the
        // wall-clock bound also covers the status probe (a process per probe), which takes
        // seconds when the machine is oversubscribed (10.9 s once, with a build running alongside), so it only guards
        // against "late or never".
        #expect(noticed < Cluster.deadAfter + .seconds(25), "took \(noticed)")
        #expect(Set(await cluster.probe.workers(in: .alive)?.keys ?? [:].keys) == ["w1", "w3"])
    }

    @Test func restartedCoordinatorIsRejoinedByTheLiveWorkersWithoutRestartingThem() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56102")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("a")
        try cluster.startWorker("b")
        let before = try #require(await cluster.waitUntilAlive(["a", "b"]), "\(cluster.logs)")
        let firstCoordinator = try #require(await cluster.probe.status()).coordinatorID

        cluster.coordinator!.signal(SIGKILL)
        #expect(await cluster.coordinator!.waitForExit(timeout: .seconds(5)) != nil)
        try cluster.startCoordinator()

        let after = try #require(await cluster.waitUntilAlive(["a", "b"]), "workers did not re-register:\n\(cluster.logs)")
        let status = try #require(await cluster.probe.status())
        #expect(status.coordinatorID != firstCoordinator)
        // The same processes came back: no worker was restarted.
        #expect(after["a"]?.pid == before["a"]?.pid)
        #expect(after["b"]?.pid == before["b"]?.pid)
        #expect(cluster.workers.values.allSatisfy { $0.isRunning })
    }

    @Test func workerSpeakingAnotherProtocolVersionIsRefusedWithAClearMessage() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56103")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        let stranger = try cluster.startWorker("v2-worker", extra: ["--protocol-version", "2"])
        let status = await stranger.waitForExit(timeout: .seconds(10))
        #expect(status != nil && status != 0, "the v2 worker should exit with an error:\n\(cluster.logs)")
        #expect(stranger.log.contains("peer speaks protocol version 2; this build speaks 1"), "\(stranger.log)")
        #expect(cluster.coordinator!.log.contains("refused a peer speaking another protocol version"))
        #expect(await cluster.probe.status()?.workers.isEmpty == true)
    }

    @Test func workerStoppedWithSigtermDeregistersCleanly() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56104")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        let worker = try cluster.startWorker("leaver")
        #expect(await cluster.waitUntilAlive(["leaver"]) != nil, "\(cluster.logs)")
        worker.signal(SIGTERM)
        #expect(await worker.waitForExit(timeout: .seconds(5)) == 0, "\(worker.log)")
        let left = await eventually(timeout: .seconds(5)) { await cluster.probe.workers(in: .left)?["leaver"] }
        #expect(left != nil, "the coordinator should list the worker as left, not dead:\n\(cluster.logs)")
    }

    @Test func malformedFramesGetErrorRepliesAndTheCoordinatorKeepsServing() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56105")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        #expect(await eventually(timeout: .seconds(10)) { await cluster.probe.status() } != nil)

        let context = try ZMQContext()
        let peer = try ZMQSocketLoop(context: context, kind: .dealer, name: "test-peer") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.connect("tcp://127.0.0.1:56105")
        }
        defer { peer.close() }
        let replies = Inbox(peer.messages)

        let valid = WireCodec.encode(Envelope(.statusRequest, correlationID: 7))
        var badJSON = WireCodec.encode(Envelope(.register(Register(workerID: "x", host: "h", cores: 1, memoryBytes: 1, pid: 1, software: "t")), correlationID: 9))
        badJSON[1] = ZMQFrame(string: "{\"workerID\": 5}")
        let cases: [(name: String, frames: [ZMQFrame], code: ErrorCode)] = [
            ("garbage", [ZMQFrame(bytes: [1, 2, 3])], .malformedMessage),
            ("bad magic", [ZMQFrame(bytes: [UInt8](repeating: 0x41, count: 32))], .malformedMessage),
            ("truncated header", [ZMQFrame(bytes: valid[0].bytes.prefix(20))], .malformedMessage),
            ("missing metadata", [valid[0]], .malformedMessage),
            ("bad metadata", badJSON, .malformedMessage),
            ("unknown type", [patchedHeader(valid[0], type: 0x7777), valid[1]], .unknownMessageType),
            ("reserved type", WireCodec.encode(Envelope(.other(.trialAssign, metadata: [], payload: []))), .unsupportedMessage),
        ]
        for test in cases {
            peer.send(test.frames)
            let reply = try #require(await replies.next(within: .seconds(5)), "no reply to \(test.name):\n\(cluster.logs)")
            let envelope = try WireCodec.decode(reply)
            guard case .error(let error) = envelope.message else {
                Issue.record("\(test.name): expected an error reply, got \(envelope.message.type)")
                continue
            }
            #expect(error.code == test.code, "\(test.name): \(error)")
            #expect(!error.message.isEmpty)
        }
        #expect(cluster.coordinator!.isRunning)
        #expect(await cluster.probe.status() != nil, "the coordinator stopped answering:\n\(cluster.logs)")
    }

    private func patchedHeader(_ header: ZMQFrame, type: UInt16) -> ZMQFrame {
        var bytes = header.bytes
        bytes[6] = UInt8(type & 0xFF)
        bytes[7] = UInt8(type >> 8)
        return ZMQFrame(bytes: bytes)
    }
}
