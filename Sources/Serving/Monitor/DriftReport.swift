import TrainyardML

/// How far a served model's recent inputs and predictions are from its training baseline
/// (`GET /v2/models/{name}/drift`, `trainyard monitor drift`).
///
/// PSI (population stability index) reads, by the usual rule of thumb: below 0.1 stable, 0.1 to
/// 0.2 a moderate shift worth watching, above 0.2 a significant shift.
public struct DriftReport: Sendable, Codable, Equatable {
    /// One feature (or the predictions) against its baseline.
    public struct Feature: Sendable, Codable, Equatable {
        public var name: String
        public var kind: ColumnKind
        /// PSI over the baseline's bins; absent for text and when no row in the window has a value.
        public var psi: Double?
        /// Kolmogorov–Smirnov distance between the binned distributions (numeric only).
        public var ks: Double?
        /// Share of window rows where the feature is missing, and the training share.
        public var missingRate: Double
        public var baselineMissingRate: Double
        /// Categorical: share of present values the model never saw in training.
        public var unseenRate: Double?
    }

    public var model: String
    public var version: Int
    /// Rows in the window now, and its bounds.
    public var rows: Int
    public var windowRows: Int
    public var windowSeconds: Double
    /// Training rows the baseline was computed on.
    public var baselineRows: Int
    public var features: [Feature]
    public var prediction: Feature

    /// The PSI at or above which a feature counts as drifted.
    public static let driftThreshold = 0.2
    /// The PSI at or above which a feature is worth watching.
    public static let watchThreshold = 0.1
}
