import DistributedTraining
import Foundation
import Synchronization
import TrainyardProtocol
import ZeroMQ

/// The job thread's view of the cluster: which workers are alive, and request/reply to
/// them through the coordinator's ROUTER socket.
///
/// The coordinator's service loop feeds it (``update(alive:)``, ``workerLost(_:)``,
/// ``deliver(from:_:)``); the job thread blocks in ``await(_:timeout:cancelled:)`` on a
/// condition variable — its own thread, never the cooperative pool.
public final class ClusterLink: @unchecked Sendable {
    private let socket: ZMQSocketLoop
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var peers: [String: PeerID] = [:]
    private var lost: Set<String> = []
    private var pending: [UInt64: String] = [:]
    private var replies: [UInt64: (worker: String, envelope: Envelope)] = [:]
    /// Requests whose worker sent something that could not be decoded, with why.
    private var rejected: [UInt64: (worker: String, reason: String)] = [:]
    private var nextCorrelation: UInt64 = 1 << 32
    private var sentBytes = 0
    private var receivedBytes = 0

    init(socket: ZMQSocketLoop) { self.socket = socket }

    // MARK: fed by the service loop

    /// The live workers and their connections, after any membership change.
    func update(alive: [String: PeerID]) {
        condition.withLock {
            peers = alive
            condition.broadcast()
        }
    }

    /// `worker` died, left or re-registered: anything it held is gone.
    func workerLost(_ worker: String) {
        condition.withLock {
            lost.insert(worker)
            condition.broadcast()
        }
    }

    /// A reply from `worker`; returns whether a request was waiting for it.
    func deliver(from worker: String, _ envelope: Envelope, bytes: Int) -> Bool {
        condition.withLock {
            guard pending[envelope.correlationID] == worker else { return false }
            pending[envelope.correlationID] = nil
            replies[envelope.correlationID] = (worker, envelope)
            receivedBytes += bytes
            condition.broadcast()
            return true
        }
    }

    /// Whether a request to `worker` with `correlationID` still awaits its reply.
    func awaits(_ correlationID: UInt64, from worker: String) -> Bool {
        condition.withLock { pending[correlationID] == worker }
    }

    /// `worker` sent a message that could not be decoded (e.g. frame lengths that disagree
    /// with its metadata). Every request it owes fails with ``ClusterError/invalidReply(worker:reason:)``
    /// at once rather than waiting for the timeout. Returns whether it owed any.
    @discardableResult
    func reject(from worker: String, reason: String) -> Bool {
        condition.withLock {
            let owed = pending.filter { $0.value == worker }.keys
            for id in owed {
                pending[id] = nil
                rejected[id] = (worker, reason)
            }
            if !owed.isEmpty { condition.broadcast() }
            return !owed.isEmpty
        }
    }

    // MARK: used by the job thread

    /// Live workers, sorted by id.
    public var aliveWorkers: [String] { condition.withLock { peers.keys.sorted() } }

    /// Forgets that `workers` were lost (they are being given fresh shards).
    func forgive(_ workers: [String]) {
        condition.withLock { for worker in workers { lost.remove(worker) } }
    }

    /// Workers lost since they were last forgiven.
    var lostWorkers: Set<String> { condition.withLock { lost } }

    /// Blocks until membership changes (a worker joins, dies or leaves) or `deadline` passes.
    func waitForMembershipChange(until deadline: ContinuousClock.Instant) {
        let seconds = (deadline - .now) / .seconds(1)
        guard seconds > 0 else { return }
        condition.withLock { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
    }

    /// Bytes sent to and received from workers so far.
    var traffic: (sent: Int, received: Int) { condition.withLock { (sentBytes, receivedBytes) } }

    /// Sends `message` to `worker` for `job`; returns the correlation id its reply will carry.
    func send(_ message: Message, to worker: String, job: UInt64) throws(ClusterError) -> UInt64 {
        condition.lock()
        guard let peer = peers[worker], !lost.contains(worker) else {
            condition.unlock()
            throw .workersLost([worker])
        }
        nextCorrelation += 1
        let correlation = nextCorrelation
        pending[correlation] = worker
        condition.unlock()
        let frames = WireCodec.encode(Envelope(message, jobID: job, correlationID: correlation))
        let bytes = frames.reduce(0) { $0 + $1.count }
        condition.withLock { sentBytes += bytes }
        socket.send([ZMQFrame(bytes: peer.bytes)] + frames)
        return correlation
    }

    /// Sends without expecting a reply (JOB_ABORT); silently skips workers that are gone.
    func notify(_ message: Message, to worker: String, job: UInt64) {
        guard let peer = condition.withLock({ peers[worker] }) else { return }
        socket.send([ZMQFrame(bytes: peer.bytes)] + WireCodec.encode(Envelope(message, jobID: job)))
    }

    /// Drops the bookkeeping of abandoned requests (late replies are then ignored). Call with the lock held.
    private func forget(_ correlations: [UInt64]) {
        for id in correlations {
            pending[id] = nil
            replies[id] = nil
            rejected[id] = nil
        }
    }

    /// Waits for the replies to `correlations`, in order. Throws ``ClusterError/workersLost(_:)``
    /// as soon as a worker owing a reply is lost, ``ClusterError/workerError(worker:_:)`` for
    /// an ERROR reply (`unknown_shard` counts as lost), ``ClusterError/invalidReply(worker:reason:)``
    /// for a reply that could not be decoded, ``ClusterError/timeout(worker:_:)`` when `timeout`
    /// passes with a reply still owed, and `cancelled` when `cancelled()` says so.
    func await(_ correlations: [UInt64], timeout: Duration,
               cancelled: () -> Bool = { false }) throws(ClusterError) -> [Envelope] {
        let deadline = Date(timeIntervalSinceNow: timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let owing = correlations.compactMap { pending[$0] }
            let gone = Set(owing).filter { lost.contains($0) || peers[$0] == nil }
            if !gone.isEmpty {
                forget(correlations)
                throw .workersLost(gone.sorted())
            }
            for id in correlations {
                if let (worker, reason) = rejected[id] {
                    forget(correlations)
                    throw .invalidReply(worker: worker, reason: reason)
                }
                if let (worker, reply) = replies[id], case .error(let error) = reply.message {
                    forget(correlations)
                    if error.code == .unknownShard { throw .workersLost([worker]) }
                    throw .workerError(worker: worker, error)
                }
            }
            if owing.isEmpty {
                return correlations.map { replies.removeValue(forKey: $0)!.envelope }
            }
            if cancelled() {
                forget(correlations)
                throw .cancelled
            }
            if !condition.wait(until: min(deadline, Date(timeIntervalSinceNow: 0.2))), Date() >= deadline {
                let worker = owing.first!
                forget(correlations)
                throw .timeout(worker: worker, timeout)
            }
        }
    }

    // MARK: typed shard calls

    /// Sends call `C`'s request to `worker` for `job`; returns the correlation id its reply will carry.
    func send<C: ShardCall>(_ call: C.Type, _ request: C.Request, payload: [Payload] = [], to worker: String,
                            job: UInt64) throws(ClusterError) -> UInt64 {
        try send(C.message(request, payload: payload), to: worker, job: job)
    }

    /// `reply`, from `worker`, decoded as call `C`'s reply; an unexpected type or a body that
    /// does not decode is ``ClusterError/invalidReply(worker:reason:)`` naming the worker.
    static func decode<C: ShardCall>(_ call: C.Type, _ reply: Envelope, from worker: String) throws(ClusterError) -> ShardReply<C.ReplyBody> {
        do {
            return try C.decodeReply(reply.message)
        } catch {
            throw .invalidReply(worker: worker, reason: error.description)
        }
    }

    /// One call to one worker: sends the request, waits up to `timeout` for the reply and decodes it.
    func call<C: ShardCall>(_ call: C.Type, _ request: C.Request, payload: [Payload] = [], to worker: String, job: UInt64,
                            timeout: Duration, cancelled: () -> Bool) throws(ClusterError) -> ShardReply<C.ReplyBody> {
        let correlation = try send(call, request, payload: payload, to: worker, job: job)
        return try Self.decode(call, try self.await([correlation], timeout: timeout, cancelled: cancelled)[0], from: worker)
    }
}
