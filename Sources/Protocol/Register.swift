/// Worker → coordinator: join the cluster. Answered by ``Welcome`` or an ``ErrorReply``.
public struct Register: Sendable, Codable, Equatable {
    /// Stable worker id, also the DEALER's routing id: 1–255 bytes of printable ASCII.
    public var workerID: String
    /// Host name or address the worker runs on, for operators.
    public var host: String
    /// CPU cores the worker offers for training.
    public var cores: Int
    /// Memory the worker offers, in bytes.
    public var memoryBytes: UInt64
    /// Operating-system process id, for operators.
    public var pid: Int32
    /// Software name and version, e.g. `"trainyard 0.1.0"`.
    public var software: String

    public init(workerID: String, host: String, cores: Int, memoryBytes: UInt64, pid: Int32, software: String) {
        self.workerID = workerID
        self.host = host
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.pid = pid
        self.software = software
    }

    /// Whether `id` is usable as a ZeroMQ routing id and in logs: 1–255 bytes of printable
    /// ASCII without spaces (so never starting with the zero byte libzmq reserves).
    public static func isValidWorkerID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return (1...255).contains(bytes.count) && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

/// Coordinator → worker: registration accepted; these are the heartbeat rules.
public struct Welcome: Sendable, Codable, Equatable {
    /// Random id of this coordinator process; changes when the coordinator restarts.
    public var coordinatorID: String
    /// How often each side sends ``MessageType/heartbeat``, in milliseconds.
    public var heartbeatIntervalMs: Int
    /// Heartbeat intervals of silence after which a peer is considered dead.
    public var heartbeatLiveness: Int

    public init(coordinatorID: String, heartbeatIntervalMs: Int, heartbeatLiveness: Int) {
        self.coordinatorID = coordinatorID
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.heartbeatLiveness = heartbeatLiveness
    }
}

/// Worker → coordinator: leaving the cluster on purpose (e.g. SIGTERM). No reply.
public struct Deregister: Sendable, Codable, Equatable {
    public var reason: String

    public init(reason: String) { self.reason = reason }
}
