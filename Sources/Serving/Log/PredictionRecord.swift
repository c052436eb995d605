/// One request as kept in the prediction log, answered or refused.
public struct PredictionRecord: Sendable, Codable, Equatable {
    public var requestID: String
    /// Seconds since 1970 (UTC) when the request arrived.
    public var time: Double
    /// The model and version that answered (nil when no model was loaded).
    public var model: String?
    public var version: Int?
    /// e.g. `/predict`, `/invocations`, `/v2/infer`.
    public var endpoint: String
    /// The HTTP status sent.
    public var status: Int
    public var latencyMicroseconds: Int
    /// Rows predicted (0 for a refused request).
    public var rows: Int
    /// SHA-256 of the request body, hex.
    public var inputsSHA256: String
    /// The predictions as JSON (nil for a refused request).
    public var output: String?
    /// Why the request was refused.
    public var error: String?
    /// The request body, when the replica runs with `--log-inputs`.
    public var inputs: String?
    /// Rows whose feature held a category the model was not trained with, by feature (nil when none).
    public var unseenCategories: [String: Int]?

    public init(requestID: String, time: Double, model: String?, version: Int?, endpoint: String, status: Int, latencyMicroseconds: Int,
                rows: Int, inputsSHA256: String, output: String?, error: String?, inputs: String?, unseenCategories: [String: Int]? = nil) {
        self.requestID = requestID
        self.time = time
        self.model = model
        self.version = version
        self.endpoint = endpoint
        self.status = status
        self.latencyMicroseconds = latencyMicroseconds
        self.rows = rows
        self.inputsSHA256 = inputsSHA256
        self.output = output
        self.error = error
        self.inputs = inputs
        self.unseenCategories = unseenCategories
    }
}

/// A prediction log query: every field optional.
public struct PredictionQuery: Sendable, Equatable {
    public var model: String?
    public var version: Int?
    public var status: Int?
    /// Records at or after this time (seconds since 1970).
    public var since: Double?
    /// At most this many records, newest first (default 100, at most 10 000).
    public var limit: Int

    public init(model: String? = nil, version: Int? = nil, status: Int? = nil, since: Double? = nil, limit: Int = 100) {
        self.model = model
        self.version = version
        self.status = status
        self.since = since
        self.limit = limit
    }
}
