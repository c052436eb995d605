import HTTPSupport

/// Everything `trainyard serve` can be told, with documented defaults.
public struct ReplicaSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 9000
    /// Bodies larger than this get 413 (default 1 MiB).
    public var maxBodyBytes = 1 << 20
    /// How often a registry alias is checked for a new version (default 1 s).
    public var pollInterval: Duration = .seconds(1)
    /// Where the prediction log is written (nil: no log).
    public var logPath: String? = "trainyard-predictions.sqlite"
    /// Whether a response waits for its record's commit (default: batched, within 50 ms).
    public var logDurability = LogDurability.batched
    /// Keep each request's body in the log, not only its digest.
    public var logInputs = false
    /// Batches of at least this many rows are predicted on all cores; smaller ones on one.
    public var parallelRows = 4096
    /// The window live traffic is compared with the model's training baseline over (drift).
    public var drift = DriftMonitor.Settings()
    /// Who may read the prediction log (`GET /predictions…` needs `reader` when tokens are configured); predictions
    /// themselves are open, as an endpoint's are.
    public var access = AccessControl.open
    /// Header, body and idle timeouts of client connections (defaults 10 s, 30 s, 60 s).
    public var timeouts = ConnectionTimeouts()
    /// When set, the API is served over TLS (HTTPS) with this certificate.
    public var tls: TLSIdentity?

    public init() {}
}
