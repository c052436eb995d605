import Foundation
import Synchronization
import TrainyardML
import TrainyardProtocol
import ZeroMQ

/// A fake worker for one scripted fault: it registers, heartbeats and answers the coordinator's
/// training requests through `answer` (by default as a minimal honest worker would, see
/// ``FuzzWorker``), from a DEALER on a thread of its own.
final class StubWorker: Sendable {
    /// The messages to send in answer to a request, given the honest worker's state.
    typealias Answer = @Sendable (FuzzWorker.Request, inout FuzzWorker) -> [FuzzFrames.Frames]

    let id: String
    private let stopping = Mutex(false)
    private let finished = Mutex(false)

    init(id: String, endpoint: String, context: ZMQContext,
         answer: @escaping Answer = { request, worker in worker.plausibleReply(to: request).map { [$0] } ?? [] }) {
        self.id = id
        let thread = Thread { [self] in
            try? run(endpoint: endpoint, context: context, answer: answer)
            finished.withLock { $0 = true }
        }
        thread.name = "stub-worker-\(id)"
        thread.start()
    }

    /// Stops the thread (the coordinator declares the worker dead a liveness later).
    func stop() async {
        stopping.withLock { $0 = true }
        while !finished.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    private func run(endpoint: String, context: ZMQContext, answer: Answer) throws {
        let socket = try ZMQSocket(context: context, kind: .dealer)
        defer { socket.close() }
        try socket.set(.linger(milliseconds: 0))
        try socket.set(.routingID(Array(id.utf8)))
        try socket.connect(endpoint)
        func send(_ frames: FuzzFrames.Frames) { _ = try? socket.send(frames.map(FuzzFrames.frame), dontWait: true) }
        var worker = FuzzWorker(random: SplitMix64(seed: 1))
        send(FuzzFrames.register(id, correlation: 1))
        var lastHeartbeat = ContinuousClock.now
        while !stopping.withLock({ $0 }) {
            if ContinuousClock.now - lastHeartbeat >= .milliseconds(100) {
                send(FuzzFrames.message(.heartbeat))
                lastHeartbeat = .now
            }
            guard try socket.waitReadable(timeoutMilliseconds: 20) else { continue }
            while let frames = try socket.receive(dontWait: true) {
                guard let request = FuzzWorker.parse(frames.map(\.bytes)) else { continue }
                if request.type == MessageType.error.rawValue, request.metadata["code"] as? String == "unknown_worker" {
                    send(FuzzFrames.register(id, correlation: 1))
                }
                for reply in answer(request, &worker) { send(reply) }
            }
        }
    }
}
