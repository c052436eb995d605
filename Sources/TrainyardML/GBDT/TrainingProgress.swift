/// One boosting round's outcome, reported while training runs.
public struct TrainingProgress: Sendable, Codable, Equatable {
    /// Rounds completed (1-based).
    public var round: Int
    public var totalRounds: Int
    /// The objective's default metric (lower is better): `logloss`, `rmse` or `mlogloss`.
    public var metric: String
    public var train: Double?
    public var valid: Double?
    public var elapsedSeconds: Double

    public init(round: Int, totalRounds: Int, metric: String, train: Double? = nil, valid: Double? = nil, elapsedSeconds: Double) {
        self.round = round
        self.totalRounds = totalRounds
        self.metric = metric
        self.train = train
        self.valid = valid
        self.elapsedSeconds = elapsedSeconds
    }
}
