import ArgumentParser

/// Heartbeat flags shared by the coordinator and the worker.
struct HeartbeatOptions: ParsableArguments {
    @Option(help: "Heartbeat interval in milliseconds (the coordinator's value is sent to workers).")
    var heartbeatIntervalMs: Int = 1000

    @Option(help: "Silent heartbeat intervals after which a peer is presumed dead.")
    var heartbeatLiveness: Int = 3

    func validate() throws {
        guard heartbeatIntervalMs >= 10 else { throw ValidationError("--heartbeat-interval-ms must be at least 10") }
        guard heartbeatLiveness >= 1 else { throw ValidationError("--heartbeat-liveness must be at least 1") }
    }
}
