/// Coordinator → client: the membership table, in reply to ``MessageType/statusRequest``.
public struct ClusterStatus: Sendable, Codable, Equatable {
    public var coordinatorID: String
    public var protocolVersion: UInt16
    public var uptimeSeconds: Double
    public var workers: [WorkerStatus]

    public init(coordinatorID: String, protocolVersion: UInt16 = ProtocolVersion.current,
                uptimeSeconds: Double, workers: [WorkerStatus]) {
        self.coordinatorID = coordinatorID
        self.protocolVersion = protocolVersion
        self.uptimeSeconds = uptimeSeconds
        self.workers = workers
    }
}

/// One row of ``ClusterStatus``.
public struct WorkerStatus: Sendable, Codable, Equatable {
    /// `alive`, `dead` (missed heartbeats) or `left` (deregistered).
    public enum State: String, Sendable, Codable {
        case alive, dead, left
    }

    public var workerID: String
    public var host: String
    public var cores: Int
    public var memoryBytes: UInt64
    public var pid: Int32
    public var state: State
    /// Seconds since the coordinator last heard from the worker.
    public var lastSeenSecondsAgo: Double
    /// How many times the worker has registered with this coordinator process.
    public var registrations: Int

    public init(workerID: String, host: String, cores: Int, memoryBytes: UInt64, pid: Int32,
                state: State, lastSeenSecondsAgo: Double, registrations: Int) {
        self.workerID = workerID
        self.host = host
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.pid = pid
        self.state = state
        self.lastSeenSecondsAgo = lastSeenSecondsAgo
        self.registrations = registrations
    }
}
