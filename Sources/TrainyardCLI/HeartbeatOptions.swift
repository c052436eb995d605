import ArgumentParser

/// Heartbeat flags shared by the coordinator and the worker.
struct HeartbeatOptions: ParsableArguments {
    @Option(help: "Heartbeat interval, e.g. 1s or 250ms (the coordinator's value is sent to workers).")
    var heartbeatInterval = DurationArgument.seconds(1)

    @Option(name: .customLong("heartbeat-interval-ms"), help: .hidden)
    var heartbeatIntervalMs: Int?

    @Option(help: "Silent heartbeat intervals after which a peer is presumed dead.")
    var heartbeatLiveness: Int = 3

    /// The interval given, by either spelling.
    var interval: Duration { heartbeatInterval.or(milliseconds: heartbeatIntervalMs) }

    func validate() throws {
        guard interval >= .milliseconds(10) else { throw ValidationError("--heartbeat-interval must be at least 10ms") }
        guard heartbeatLiveness >= 1 else { throw ValidationError("--heartbeat-liveness must be at least 1") }
    }
}
