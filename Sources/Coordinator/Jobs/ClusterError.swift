import TrainyardProtocol

/// Why a distributed request did not complete.
public enum ClusterError: Error, Sendable, CustomStringConvertible {
    /// These workers died, left, re-registered (their state is gone) or lost a shard.
    case workersLost([String])
    /// A worker refused a request for a reason retrying cannot fix.
    case workerError(worker: String, ErrorReply)
    /// No reply within the request timeout although the worker stays alive.
    case timeout(worker: String, Duration)
    /// The job was cancelled.
    case cancelled
    /// Every worker holding the job's shards is gone and none appeared within the wait.
    case noWorkers(waited: Duration)

    public var description: String {
        switch self {
        case .workersLost(let ids): "lost worker\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", "))"
        case .workerError(let worker, let reply): "worker \(worker) refused a request: \(reply.code.rawValue): \(reply.message)"
        case .timeout(let worker, let limit): "worker \(worker) did not answer within \(limit.seconds) s"
        case .cancelled: "cancelled"
        case .noWorkers(let waited):
            "all workers of the job were lost and no live worker appeared within \(Int(waited.seconds)) s (--worker-wait)"
        }
    }
}
