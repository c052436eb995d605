/// One published version of a model: where its artifact is, and what is known about it.
public struct ModelVersion: Sendable, Codable, Equatable {
    public var name: String
    /// 1, 2, 3… per model, in publish order.
    public var version: Int
    /// SHA-256 of the artifact (the whole model file), hex; the artifact's address in the store.
    public var sha256: String
    /// Size of the artifact in bytes.
    public var bytes: Int
    public var status: ApprovalStatus
    /// Seconds since 1970 (UTC).
    public var createdAt: Double
    /// `gbdt` or `linear`.
    public var estimator: String
    /// The objective, e.g. `binary:logistic`.
    public var objective: String
    /// Final metrics from training, keyed `train.<name>` / `valid.<name>`.
    public var metrics: [String: Double]
    /// Training parameters.
    public var parameters: [String: String]
    /// SHA-256 of the training data file, when known.
    public var datasetSHA256: String?
    /// The coordinator job that trained it, when it was trained on the cluster.
    public var jobID: UInt64?
    /// Free text given at publish time.
    public var description: String?
    /// Aliases pointing at this version (filled in by reads, not stored with the version).
    public var aliases: [String]

    public init(name: String, version: Int, sha256: String, bytes: Int, status: ApprovalStatus, createdAt: Double,
                estimator: String, objective: String, metrics: [String: Double], parameters: [String: String],
                datasetSHA256: String?, jobID: UInt64?, description: String?, aliases: [String] = []) {
        self.name = name
        self.version = version
        self.sha256 = sha256
        self.bytes = bytes
        self.status = status
        self.createdAt = createdAt
        self.estimator = estimator
        self.objective = objective
        self.metrics = metrics
        self.parameters = parameters
        self.datasetSHA256 = datasetSHA256
        self.jobID = jobID
        self.description = description
        self.aliases = aliases
    }
}

/// A model: its versions (newest first) and where its aliases point.
public struct RegisteredModel: Sendable, Codable, Equatable {
    public var name: String
    public var createdAt: Double
    /// Alias name → version number.
    public var aliases: [String: Int]
    public var versions: [ModelVersion]

    public init(name: String, createdAt: Double, aliases: [String: Int], versions: [ModelVersion]) {
        self.name = name
        self.createdAt = createdAt
        self.aliases = aliases
        self.versions = versions
    }
}

/// One change of an alias or of a version's status, as kept in the audit trail.
public struct AuditEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var time: Double
    public var name: String
    /// `publish`, `promote`, `rollback`, `approve` or `reject`.
    public var action: String
    public var alias: String?
    /// The alias's version before the change (nil if it pointed nowhere).
    public var fromVersion: Int?
    public var toVersion: Int?
    public var reason: String?
    /// Who made the change: the API token's name, `anonymous` on a registry without tokens, nil before actors were recorded.
    public var actor: String?

    public init(id: Int64, time: Double, name: String, action: String, alias: String?, fromVersion: Int?, toVersion: Int?, reason: String?,
                actor: String? = nil) {
        self.actor = actor
        self.id = id
        self.time = time
        self.name = name
        self.action = action
        self.alias = alias
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.reason = reason
    }
}
