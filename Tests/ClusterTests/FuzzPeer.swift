import Foundation
import Synchronization
import TrainyardML
import TrainyardProtocol
import ZeroMQ

/// One fake peer of a coordinator: a DEALER socket owned by a thread of its own (its waits are
/// `zmq_poll`s there, never on the cooperative pool) that plays a ``FuzzScript`` step by step,
/// keeps heartbeating while registered, answers training requests through a ``FuzzWorker``, and
/// now and then replies to a request another peer was sent.
final class FuzzPeer: Sendable {
    /// What the peer sent and what came back.
    struct Tally: Sendable {
        var steps = 0
        var sent = 0
        /// Messages the socket would not queue (high-water mark): dropped, as a fuzzer may.
        var refusedBySocket = 0
        var reconnects = 0
        var received = 0
        var welcomes = 0
        /// `ERROR` replies by code.
        var errors: [String: Int] = [:]
        /// Training requests the coordinator sent this peer, and the messages sent in answer.
        var requests = 0
        var answers = 0
    }

    /// Everything a peer needs to know about its run.
    struct Plan: Sendable {
        var endpoint: String
        var seed: UInt64
        var rounds: Int
        var peers: Int
        var dataPath: String
        var dataRoot: String
    }

    let index: Int
    let persona: FuzzScript.Persona
    private let plan: Plan
    private let context: ZMQContext
    private let stolen: FuzzWorker.Stolen
    private let tally = Mutex(Tally())
    private let failure = Mutex<String?>(nil)
    private let finished = Mutex(false)

    init(index: Int, plan: Plan, context: ZMQContext, stolen: FuzzWorker.Stolen) {
        self.index = index
        self.plan = plan
        self.context = context
        self.stolen = stolen
        persona = FuzzScript.Persona.of(peer: index)
    }

    var isFinished: Bool { finished.withLock { $0 } }
    var counts: Tally { tally.withLock { $0 } }
    /// Why the peer's own thread stopped early (a socket it could not open), if it did.
    var error: String? { failure.withLock { $0 } }

    func start() {
        let thread = Thread { [self] in
            do {
                try run()
            } catch {
                failure.withLock { $0 = "peer \(index) (\(persona)): \(error)" }
            }
            finished.withLock { $0 = true }
        }
        thread.name = "fuzz-peer-\(index)"
        thread.start()
    }

    private func open(routingID: [UInt8]?) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, kind: .dealer)
        try socket.set(.linger(milliseconds: 0))
        if let routingID {
            // libzmq refuses some ids (empty, too long): the connection then gets one of its own.
            try? socket.set(.routingID(routingID))
        }
        try socket.connect(plan.endpoint)
        return socket
    }

    private func run() throws {
        var script = FuzzScript(peer: index, peers: plan.peers, seed: plan.seed, dataPath: plan.dataPath, dataRoot: plan.dataRoot)
        var worker = FuzzWorker(random: .stream(plan.seed, 2000 + UInt64(index)))
        var side = SplitMix64.stream(plan.seed, 3000 + UInt64(index))
        var socket = try open(routingID: script.initialRoutingID)
        defer { socket.close() }
        var registered = false
        var lastHeartbeat = ContinuousClock.now
        let heartsLikeAWorker = persona == .worker || persona == .impostor

        func send(_ frames: FuzzFrames.Frames) {
            let accepted = (try? socket.send(frames.map(FuzzFrames.frame), dontWait: true)) ?? false
            tally.withLock {
                if accepted { $0.sent += 1 } else { $0.refusedBySocket += 1 }
            }
        }

        func handle(_ frames: [ZMQFrame]) {
            tally.withLock { $0.received += 1 }
            guard let request = FuzzWorker.parse(frames.map(\.bytes)) else { return }
            switch MessageType(rawValue: request.type) {
            case .welcome?:
                registered = true
                tally.withLock { $0.welcomes += 1 }
            case .error?:
                let code = request.metadata["code"] as? String ?? "?"
                tally.withLock { $0.errors[code, default: 0] += 1 }
                if code == "unknown_worker" {
                    registered = false
                    // As a worker must (§8): register again at once.
                    if persona == .worker { send(FuzzFrames.register(FuzzScript.workerID(peer: index), correlation: 0)) }
                }
            case .heartbeat?, .statusReply?, .echoReply?, .jobSubmitReply?, .jobListReply?, .jobShowReply?, .jobCancelReply?, nil:
                break
            default:
                let answers = worker.answer(request, stolen: stolen)
                tally.withLock {
                    $0.requests += 1
                    $0.answers += answers.count
                }
                for answer in answers { send(answer) }
            }
        }

        /// Takes every waiting message, then waits up to `milliseconds` for more.
        func drain(for milliseconds: Int) throws {
            let deadline = ContinuousClock.now + .milliseconds(milliseconds)
            while true {
                while let frames = try socket.receive(dontWait: true) { handle(frames) }
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return }
                _ = try socket.waitReadable(timeoutMilliseconds: max(1, Int(left / .milliseconds(1))))
            }
        }

        for _ in 0..<plan.rounds {
            let (action, pause) = script.next()
            switch action {
            case .send(let frames):
                send(frames)
            case .reconnect(let routingID):
                socket.close()
                socket = try open(routingID: routingID)
                registered = false
                tally.withLock { $0.reconnects += 1 }
            }
            if heartsLikeAWorker, registered, ContinuousClock.now - lastHeartbeat >= .milliseconds(150) {
                send(FuzzFrames.message(.heartbeat))
                lastHeartbeat = .now
            }
            if side.chance(0.02), let request = stolen.take() {
                send(worker.answer(stolen: request))
            }
            tally.withLock { $0.steps += 1 }
            try drain(for: pause)
        }
    }
}
