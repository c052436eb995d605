import Foundation
import Synchronization
import Testing
import ZeroMQ

/// CurveZMQ over real TCP sockets in one process: keys and key files, a ZAP handler that
/// admits only allowlisted client keys, and the monitor events that tell a refused client why.
@Suite(.enabled(if: CurveKey.isAvailable, "libzmq without CURVE"), .timeLimit(.minutes(1)))
struct CurveTests {
    @Test func keysRoundTripThroughZ85AndThePublicKeyFollowsFromTheSecret() throws {
        let pair = try CurveKey.generatePair()
        #expect(pair.public.z85.count == 40)
        #expect(try CurveKey(z85: pair.secret.z85) == pair.secret)
        #expect(try pair.secret.publicKey() == pair.public)
        #expect(throws: CurveKeyError.self) { try CurveKey(z85: "short") }
        #expect(throws: CurveKeyError.self) { try CurveKey(bytes: [1, 2, 3]) }
    }

    @Test func generatedKeyFilesAreZ85WithAPrivateSecretAndAreNeverOverwritten() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString.prefix(8))").path
        defer {
            try? FileManager.default.removeItem(atPath: prefix + ".key")
            try? FileManager.default.removeItem(atPath: prefix + ".pub")
        }
        let publicKey = try CurveKeyFile.generate(prefix: prefix)
        let mode = try FileManager.default.attributesOfItem(atPath: prefix + ".key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let secret = try CurveKeyFile.read(prefix + ".key", secret: true)
        #expect(try secret.publicKey() == publicKey)
        #expect(try CurveKeyFile.read(prefix + ".pub") == publicKey)
        #expect(throws: CurveKeyError.self) { try CurveKeyFile.generate(prefix: prefix) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: prefix + ".key")
        #expect {
            try CurveKeyFile.read(prefix + ".key", secret: true)
        } throws: { error in
            "\(error)".contains("chmod 600")
        }
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    static func eventually(within timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func theZAPHandlerAdmitsAllowedKeysAndARefusedClientSeesWhy() async throws {
        let context = try ZMQContext()
        let server = try CurveKey.generatePair(), allowed = try CurveKey.generatePair(), stranger = try CurveKey.generatePair()
        let asked = Mutex<[String]>([])
        let zap = try ZAPHandler(context: context) { request in
            let key = request.clientKey?.z85 ?? "none"
            asked.withLock { $0.append(key) }
            return ZAPHandler.Decision(allowed: request.clientKey == allowed.public, reason: "test")
        }
        defer { zap.stop() }
        #expect(throws: ZMQError.self, "a second handler in the same context") { try ZAPHandler(context: context) { _ in .init(allowed: true, reason: "") } }
        let router = try ZMQSocketLoop(context: context, kind: .router, name: "curve-server") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.set(.curveServer(true))
            try socket.set(.curveSecretKey(server.secret.bytes))
            try socket.set(.zapDomain("test"))
            try socket.bind("tcp://127.0.0.1:*")
        }
        defer { router.close() }
        let endpoint = try #require(router.boundEndpoint)

        func client(_ keys: CurveClientKeys?, events: EventLog) throws -> (ZMQSocketLoop, ZMQMonitor) {
            let monitorEndpoint = ZMQMonitor.endpoint("test")
            let loop = try ZMQSocketLoop(context: context, kind: .dealer, name: "curve-client") { socket in
                try socket.set(.linger(milliseconds: 0))
                try keys?.apply(to: socket)
                try socket.monitor(monitorEndpoint, events: ZMQMonitorEvent.handshakeEvents)
                try socket.connect(endpoint)
            }
            let monitor = try ZMQMonitor(context: context, endpoint: monitorEndpoint) { event in events.append(event) }
            return (loop, monitor)
        }

        let refusedEvents = EventLog()
        let (refused, refusedMonitor) = try client(try CurveClientKeys(secretKey: stranger.secret, serverKey: server.public), events: refusedEvents)
        refused.send([ZMQFrame(string: "from a stranger")])
        let plainEvents = EventLog()
        let (plain, plainMonitor) = try client(nil, events: plainEvents)
        plain.send([ZMQFrame(string: "in plaintext")])
        let goodEvents = EventLog()
        let (good, goodMonitor) = try client(try CurveClientKeys(secretKey: allowed.secret, serverKey: server.public), events: goodEvents)
        good.send([ZMQFrame(string: "hello")])
        defer {
            for loop in [refused, plain, good] { loop.close() }
            for monitor in [refusedMonitor, plainMonitor, goodMonitor] { monitor.close() }
        }

        let received = Mutex<[String]>([])
        let collector = Task {
            for await frames in router.messages { received.withLock { $0.append(String(decoding: frames[1].bytes, as: UTF8.self)) } }
        }
        defer { collector.cancel() }
        #expect(await Self.eventually(within: .seconds(5)) { received.withLock { $0 == ["hello"] } })
        #expect(await Self.eventually(within: .seconds(5)) {
            refusedEvents.contains(where: { if case .handshakeFailedAuth(_, 400) = $0 { true } else { false } })
        }, "\(refusedEvents.all)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(received.withLock { $0 } == ["hello"], "only the allowed client gets through")
        #expect(asked.withLock { Set($0) } == [allowed.public.z85, stranger.public.z85])
        #expect(goodEvents.contains(where: { if case .handshakeSucceeded = $0 { true } else { false } }))
        #expect(!plainEvents.contains(where: { if case .handshakeSucceeded = $0 { true } else { false } }))
    }
}

/// Monitor events collected from a monitor's reader task.
final class EventLog: Sendable {
    private let events = Mutex<[ZMQMonitorEvent]>([])
    func append(_ event: ZMQMonitorEvent) { events.withLock { $0.append(event) } }
    var all: [ZMQMonitorEvent] { events.withLock { $0 } }
    func contains(where predicate: (ZMQMonitorEvent) -> Bool) -> Bool { events.withLock { $0.contains(where: predicate) } }
}
