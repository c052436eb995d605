import ArgumentParser
import HTTPSupport

/// `--header-timeout`, `--body-timeout`, `--idle-timeout`: how long a client connection may take over each phase
/// (see ``ConnectionTimeouts``), shared by the replica, the registry and the proxy. Unset ones take the server's default.
struct ConnectionTimeoutOptions: ParsableArguments {
    @Option(help: "Time allowed for a request head, from its first byte (e.g. 10s); then 408 and close. Default 10s.")
    var headerTimeout: DurationArgument?
    @Option(help: "Time allowed for a whole request body, from the end of its head; then 408 and close. Default 30s (registry 300s).")
    var bodyTimeout: DurationArgument?
    @Option(help: "Time a connection may wait for its next request before it is closed. Default 60s.")
    var idleTimeout: DurationArgument?

    /// The timeouts given, the rest from `defaults`.
    func timeouts(defaults: ConnectionTimeouts = ConnectionTimeouts()) throws -> ConnectionTimeouts {
        var timeouts = defaults
        if let headerTimeout { timeouts.header = headerTimeout.duration }
        if let bodyTimeout { timeouts.body = bodyTimeout.duration }
        if let idleTimeout { timeouts.idle = idleTimeout.duration }
        if let bad = timeouts.nonPositive { throw ValidationError("the \(bad) must be positive") }
        return timeouts
    }
}
