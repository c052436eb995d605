import Foundation
import TrainyardProtocol
import ZeroMQ

/// Messages sent back to back from a fresh DEALER on a thread of its own, which then waits
/// there, in `zmq_poll`, for the reply carrying a given correlation id: how long the coordinator
/// took to work through them all, with no polling interval of the test's on top.
enum PipelinedExchange {
    /// The time from the first send to the reply with `correlationID`, or `nil` after `timeout`.
    static func run(endpoint: String, context: ZMQContext, _ messages: [[ZMQFrame]], until correlationID: UInt64,
                    timeout: Duration = .seconds(30)) async -> Duration? {
        await withCheckedContinuation { (done: CheckedContinuation<Duration?, Never>) in
            let thread = Thread {
                done.resume(returning: try? exchange(endpoint: endpoint, context: context, messages, until: correlationID, timeout: timeout))
            }
            thread.name = "pipelined-exchange"
            thread.start()
        }
    }

    private static func exchange(endpoint: String, context: ZMQContext, _ messages: [[ZMQFrame]], until correlationID: UInt64,
                                 timeout: Duration) throws -> Duration? {
        let socket = try ZMQSocket(context: context, kind: .dealer)
        defer { socket.close() }
        try socket.set(.linger(milliseconds: 0))
        try socket.set(.sendHighWaterMark(0))
        try socket.connect(endpoint)
        let started = ContinuousClock.now
        for message in messages { try socket.send(message) }
        while ContinuousClock.now - started < timeout {
            guard try socket.waitReadable(timeoutMilliseconds: 100) else { continue }
            while let frames = try socket.receive(dontWait: true) {
                if Header.peekIDs(frames[0])?.correlationID == correlationID { return ContinuousClock.now - started }
            }
        }
        return nil
    }
}
