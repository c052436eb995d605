import Foundation

/// Everything a prediction needs and everything known about how the model was made:
/// the fitted preprocessing, the estimator, the label's encoding and the training record.
/// Saved and loaded by ``ModelFile``.
public struct TrainyardModel: Sendable, Equatable, Codable {
    /// The model file format this build writes. It reads this version and the earlier ones
    /// (``readableVersions``): version 2 added text settings (n-grams, sublinear tf, norm) to
    /// hashed TF-IDF columns, which version 1 readers would ignore, so they refuse version 2.
    public static let formatVersion = 2
    /// The versions this build reads.
    public static let readableVersions = 1...formatVersion

    /// The learned function.
    public enum Estimator: Sendable, Equatable, Codable {
        case gbdt(GBDTModel)
        case linear(LinearModel)

        public var kind: String {
            switch self {
            case .gbdt: "gbdt"
            case .linear: "linear"
            }
        }

        public var objective: Objective {
            switch self {
            case .gbdt(let model): model.objective
            case .linear(let model): model.objective
            }
        }

        private enum Keys: String, CodingKey { case kind, gbdt, linear }

        /// `{"kind": "gbdt", "gbdt": {…}}` or `{"kind": "linear", "linear": {…}}`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(kind, forKey: .kind)
            switch self {
            case .gbdt(let model): try container.encode(model, forKey: .gbdt)
            case .linear(let model): try container.encode(model, forKey: .linear)
            }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            switch try container.decode(String.self, forKey: .kind) {
            case "gbdt": self = .gbdt(try container.decode(GBDTModel.self, forKey: .gbdt))
            case "linear": self = .linear(try container.decode(LinearModel.self, forKey: .linear))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown estimator kind '\(other)'")
            }
        }
    }

    /// How the model was trained, for people and for the registry.
    public struct TrainingRecord: Sendable, Equatable, Codable {
        public var createdAt: String
        public var software: String
        public var parameters: [String: String]
        /// Final metrics, keyed `train.<name>` / `valid.<name>`.
        public var metrics: [String: Double]
        public var trainRows: Int
        public var validationRows: Int
        /// SHA-256 of the training data file, hex.
        public var datasetSHA256: String?
        /// Rounds kept by early stopping.
        public var bestRound: Int?
        /// Gain importance by feature name (GBDT).
        public var featureImportance: [String: Double]?
        /// The coordinator job that trained it (distributed training).
        public var jobID: UInt64?

        public init(createdAt: String, software: String, parameters: [String: String], metrics: [String: Double],
                    trainRows: Int, validationRows: Int, datasetSHA256: String? = nil, bestRound: Int? = nil,
                    featureImportance: [String: Double]? = nil) {
            self.createdAt = createdAt
            self.software = software
            self.parameters = parameters
            self.metrics = metrics
            self.trainRows = trainRows
            self.validationRows = validationRows
            self.datasetSHA256 = datasetSHA256
            self.bestRound = bestRound
            self.featureImportance = featureImportance
        }
    }

    public var formatVersion = TrainyardModel.formatVersion
    public var label: LabelEncoding
    public var preprocessor: Preprocessor
    public var estimator: Estimator
    public var training: TrainingRecord
    /// The training rows' distributions, for drift detection when serving (absent in models
    /// trained before baselines, or imported from XGBoost).
    public var baseline: DriftBaseline?

    /// A model from its parts, in the current format version.
    public init(label: LabelEncoding, preprocessor: Preprocessor, estimator: Estimator, training: TrainingRecord) {
        self.label = label
        self.preprocessor = preprocessor
        self.estimator = estimator
        self.training = training
    }

    public var objective: Objective { estimator.objective }

    /// Predictions for a raw table: probabilities (`rows × classes` for multiclass) or values.
    public func predict(_ table: Table, threads: Int = 0) throws(PreprocessingError) -> [Float] {
        switch estimator {
        case .gbdt(let model): return model.predict(try preprocessor.transform(table), threads: threads)
        case .linear(let model): return model.predict(try preprocessor.transformSparse(table))
        }
    }
}
