import TrainyardProtocol

/// Why a distributed request did not complete.
public enum ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// These workers died, left, re-registered (their state is gone) or lost a shard.
    case workersLost([String])
    /// A worker refused a request for a reason retrying cannot fix.
    case workerError(worker: String, ErrorReply)
    /// No reply within the request timeout although the worker stays alive. The engine
    /// drops the worker from the job and moves its shards, as for a dead worker.
    case timeout(worker: String, Duration)
    /// A worker's reply failed validation: undecodable frames, frame lengths that disagree
    /// with its metadata, the wrong reply type, counts or histogram sums no shard of its size
    /// can produce, non-finite statistics. Treated like ``timeout(worker:_:)``.
    case invalidReply(worker: String, reason: String)
    /// The workers' replies are each plausible but do not add up (a left child's summed
    /// histogram exceeds its parent's): no single worker can be blamed, so the job fails.
    case inconsistentReplies(workers: [String], reason: String)
    /// Workers were dropped from the job for timing out or sending invalid replies, and no
    /// other live worker appeared within the wait to take their shards.
    case workersFailed(reasons: [String: String], waited: Duration)
    /// The job was cancelled.
    case cancelled
    /// Every worker holding the job's shards is gone and none appeared within the wait.
    case noWorkers(waited: Duration)

    /// Whether the engine recovers by dropping the worker from the job and moving its shards.
    var failedWorker: String? {
        switch self {
        case .timeout(let worker, _), .invalidReply(let worker, _): worker
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .workersLost(let ids): "lost worker\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", "))"
        case .workerError(let worker, let reply): "worker \(worker) refused a request: \(reply.code.rawValue): \(reply.message)"
        case .timeout(let worker, let limit):
            "worker \(worker) did not answer within \(limit.seconds) s (--request-timeout-seconds)"
        case .invalidReply(let worker, let reason): "worker \(worker) sent an invalid reply: \(reason)"
        case .inconsistentReplies(let workers, let reason):
            "the replies of workers \(workers.joined(separator: ", ")) do not add up: \(reason)"
        case .workersFailed(let reasons, let waited):
            reasons.sorted { $0.key < $1.key }.map(\.value).joined(separator: "; ")
                + "; no other live worker could take \(reasons.count == 1 ? "its" : "their") shards within \(Int(waited.seconds)) s (--worker-wait-seconds)"
        case .cancelled: "cancelled"
        case .noWorkers(let waited):
            "all workers of the job were lost and no live worker appeared within \(Int(waited.seconds)) s (--worker-wait-seconds)"
        }
    }
}
