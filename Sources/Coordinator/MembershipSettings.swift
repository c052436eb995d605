/// The coordinator's membership rules.
public struct MembershipSettings: Sendable, Equatable {
    /// How often the coordinator sends each live worker a heartbeat, and how often workers
    /// are told to send theirs (in ``TrainyardProtocol/Welcome``). Default 1 s.
    public var heartbeatInterval: Duration = .seconds(1)
    /// Intervals of silence after which a worker is declared dead. Default 3.
    public var heartbeatLiveness: Int = 3
    /// How long dead or departed workers stay listed in the status before being forgotten. Default 5 min.
    public var retention: Duration = .seconds(300)

    /// Most workers listed at once, alive, dead or departed. When the table is full a new
    /// worker id replaces the oldest dead or departed entry, and is refused with
    /// ``TrainyardProtocol/ErrorCode/limitExceeded`` when all are alive. Default 1024.
    public var maxWorkers: Int = 1024

    /// The documented defaults: 1 s interval, liveness 3, retention 5 min, 1024 workers.
    public init() {}

    /// The silence after which a worker is declared dead: interval × liveness.
    public var deadAfter: Duration { heartbeatInterval * heartbeatLiveness }
}
