@testable import Coordinator
import Foundation
import Testing
import TrainyardProtocol
import ZeroMQ

/// The job thread's request/reply bookkeeping: an undecodable message from a worker owing
/// replies fails them at once, naming the worker; silence fails them at the timeout.
struct ClusterLinkTests {
    /// A link over a ROUTER bound to a private inproc endpoint, with worker `w` alive.
    static func link() throws -> (ClusterLink, ZMQSocketLoop) {
        let socket = try ZMQSocketLoop(context: try ZMQContext(), kind: .router, name: "link-test") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.bind("inproc://link-test-\(UUID().uuidString)")
        }
        let link = ClusterLink(socket: socket)
        link.update(alive: ["w": PeerID("w"), "v": PeerID("v")])
        return (link, socket)
    }

    @Test func anUndecodableMessageFailsTheWorkersPendingRequestsAtOnce() throws {
        let (link, socket) = try Self.link()
        defer { socket.close() }
        let mine = try link.send(.heartbeat, to: "w", job: 1)
        let theirs = try link.send(.heartbeat, to: "v", job: 1)
        #expect(link.reject(from: "w", reason: "an undecodable message (payload frame 0 is 7 bytes)"))
        #expect(!link.reject(from: "w", reason: "again"), "nothing is owed any more")
        let started = ContinuousClock.now
        #expect {
            try link.await([theirs, mine], timeout: .seconds(30))
        } throws: { error in
            guard case ClusterError.invalidReply(let worker, let reason) = error else { return false }
            return worker == "w" && reason.contains("payload frame 0")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(ClusterError.invalidReply(worker: "w", reason: "x").failedWorker == "w")
    }

    @Test func aSilentWorkerFailsAtTheTimeoutNamingIt() throws {
        let (link, socket) = try Self.link()
        defer { socket.close() }
        let request = try link.send(.heartbeat, to: "w", job: 1)
        #expect {
            try link.await([request], timeout: .milliseconds(300))
        } throws: { error in
            guard case ClusterError.timeout(let worker, _) = error else { return false }
            return worker == "w" && error.localizedDescription.isEmpty == false
        }
        #expect(ClusterError.timeout(worker: "w", .seconds(2)).description == "worker w did not answer within 2.0 s (--request-timeout-seconds)")
    }
}
