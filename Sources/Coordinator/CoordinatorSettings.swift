import ZeroMQ

/// Everything `trainyard coordinator` can be told, with documented defaults.
public struct CoordinatorSettings: Sendable {
    /// ZeroMQ endpoint the ROUTER socket binds, e.g. `tcp://0.0.0.0:5555`.
    public var bind: String
    /// Heartbeat and retention rules.
    public var membership = MembershipSettings()
    /// How often the membership table is re-evaluated. Default 100 ms, which bounds how late
    /// after the heartbeat timeout a dead worker is noticed.
    public var tickInterval: Duration = .milliseconds(100)
    /// Messages larger than this are refused by libzmq before they are read (default 1 GiB).
    public var maxMessageBytes: Int64 = 1 << 30

    /// CurveZMQ: the coordinator's secret key and the public keys it admits (through a ZAP
    /// handler). `nil` (the default): plaintext, every peer admitted.
    public var curve: CurveServerKeys?

    /// Where jobs and models are kept, and how jobs wait for workers.
    public var jobs = JobSettings(stateDirectory: "trainyard-state")
    /// Written into the models the coordinator trains.
    public var software = "trainyard"

    /// Settings with the documented defaults and the given bind endpoint.
    public init(bind: String) { self.bind = bind }
}

/// What a CURVE coordinator needs: its secret key and the keys of the peers it admits.
public struct CurveServerKeys: Sendable {
    public var secretKey: CurveKey
    public var allowed: CurveAllowlist

    public init(secretKey: CurveKey, allowed: CurveAllowlist) {
        self.secretKey = secretKey
        self.allowed = allowed
    }
}
