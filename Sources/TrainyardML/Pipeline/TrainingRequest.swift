/// What to train: the label, the model family and its parameters, and the validation data.
public struct TrainingRequest: Sendable {
    public enum ModelKind: String, Sendable, CaseIterable, Codable {
        case gbdt, linear
    }

    public var label: String
    public var kind: ModelKind = .gbdt
    /// `nil` infers it from the label: two classes → `binary:logistic`, more categorical
    /// classes → `multi:softprob`, other numbers → `reg:squarederror`.
    public var objective: String?
    public var gbdt = GBDTParameters()
    public var linear = LinearParameters()
    /// Hold out this fraction of the training rows (stratified by class) for validation.
    public var validFraction: Double?
    /// Seed of the validation split.
    public var splitSeed: UInt64 = 0
    public var preprocessing = Preprocessor.Options()
    /// Fingerprint of the training file, recorded in the model.
    public var datasetSHA256: String?
    public var software = "trainyard"

    /// Gradient-boosted trees on `label` with default parameters and no validation.
    public init(label: String) { self.label = label }
}
