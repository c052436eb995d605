import TrainyardML

/// A loaded model version: what requests predict with. Immutable; a new version is a new value.
public struct ServedModel: Sendable {
    public let name: String
    public let version: Int
    public let sha256: String
    public let model: TrainyardModel
    /// The model with its trees packed once for prediction.
    public let predictor: ModelPredictor
    public let features: FeatureTable
    /// The version as text, for headers and metric labels.
    public let versionText: String
    /// Live traffic against the training baseline; `nil` for a model without one (trained
    /// before baselines, or imported).
    public let drift: DriftMonitor?

    public init(name: String, version: Int, sha256: String, model: TrainyardModel, drift settings: DriftMonitor.Settings = .init()) {
        self.name = name
        self.version = version
        self.sha256 = sha256
        self.model = model
        self.predictor = ModelPredictor(model)
        self.features = FeatureTable(model: model)
        self.versionText = String(version)
        self.drift = model.baseline.map { DriftMonitor(name: name, version: version, model: model, baseline: $0, settings: settings) }
    }
}
