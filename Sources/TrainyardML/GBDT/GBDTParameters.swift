/// Gradient-boosted tree parameters, with XGBoost's names (in comments), meanings and defaults.
public struct GBDTParameters: Sendable, Equatable, Codable {
    /// `objective` (+ `num_class`).
    public var objective: Objective = .binaryLogistic
    /// `n_estimators` / boosting rounds. Default 100.
    public var trees: Int = 100
    /// `max_depth`: depth of each tree, 1...16. Default 6.
    public var maxDepth: Int = 6
    /// `eta` / learning rate, in (0, 1]. Default 0.3 as XGBoost.
    public var eta: Double = 0.3
    /// `lambda`: L2 regularisation on leaf weights, ≥ 0. Default 1.
    public var lambda: Double = 1
    /// `alpha`: L1 regularisation on leaf weights, ≥ 0. Default 0.
    public var alpha: Double = 0
    /// `gamma` / `min_split_loss`: a split whose loss reduction is below this is pruned. Default 0.
    public var gamma: Double = 0
    /// `min_child_weight`: minimum hessian sum in each child. Default 1.
    public var minChildWeight: Double = 1
    /// `subsample`: fraction of rows sampled (without replacement) for each tree, in (0, 1]. Default 1.
    public var subsample: Double = 1
    /// `colsample_bytree`: fraction of features sampled for each tree, in (0, 1]. Default 1.
    public var colsampleByTree: Double = 1
    /// `max_bin`: histogram bins per feature, 2...256 (one bin value is reserved for
    /// missing, so at most 255 hold values). Default 256.
    public var maxBin: Int = 256
    /// `base_score` in prediction space (probability for `binary:logistic`); `nil` estimates it from the labels.
    public var baseScore: Double?
    /// Seed for row and column sampling.
    public var seed: UInt64 = 0
    /// `nthread`; 0 uses every online core.
    public var threads: Int = 0
    /// Stop when the validation metric has not improved for this many rounds; `nil` never stops early.
    public var earlyStoppingRounds: Int?
    /// `eval_metric`: the validation metric reported every round and watched by early stopping —
    /// one the objective reports (``Metrics/names(for:)``: auc, logloss, accuracy; rmse, mae;
    /// mlogloss, accuracy). `nil`: logloss, rmse or mlogloss.
    public var evalMetric: String?

    /// XGBoost's defaults (see each property).
    public init() {}

    /// Rejects values outside their documented ranges, naming the parameter.
    public func validate() throws(ParameterError) {
        guard trees >= 1 else { throw .invalid("n_trees", "must be at least 1, got \(trees)") }
        guard (1...16).contains(maxDepth) else { throw .invalid("max_depth", "must be in 1...16, got \(maxDepth)") }
        guard eta > 0, eta <= 1 else { throw .invalid("eta", "must be in (0, 1], got \(eta)") }
        guard lambda >= 0 else { throw .invalid("lambda", "must be ≥ 0, got \(lambda)") }
        guard alpha >= 0 else { throw .invalid("alpha", "must be ≥ 0, got \(alpha)") }
        guard gamma >= 0 else { throw .invalid("gamma", "must be ≥ 0, got \(gamma)") }
        guard minChildWeight >= 0 else { throw .invalid("min_child_weight", "must be ≥ 0, got \(minChildWeight)") }
        guard subsample > 0, subsample <= 1 else { throw .invalid("subsample", "must be in (0, 1], got \(subsample)") }
        guard colsampleByTree > 0, colsampleByTree <= 1 else {
            throw .invalid("colsample_bytree", "must be in (0, 1], got \(colsampleByTree)")
        }
        guard (2...256).contains(maxBin) else { throw .invalid("max_bin", "must be in 2...256, got \(maxBin)") }
        if let baseScore {
            if objective == .binaryLogistic, !(baseScore > 0 && baseScore < 1) {
                throw .invalid("base_score", "binary:logistic needs a probability in (0, 1), got \(baseScore)")
            }
            guard baseScore.isFinite else { throw .invalid("base_score", "must be finite") }
        }
        guard threads >= 0 else { throw .invalid("nthread", "must be ≥ 0, got \(threads)") }
        if let evalMetric, !Metrics.allNames.contains(evalMetric) {
            throw .invalid("eval_metric", "must be auc, logloss, accuracy, rmse, mae or mlogloss, got '\(evalMetric)'")
        }
        if let rounds = earlyStoppingRounds, rounds < 1 {
            throw .invalid("early_stopping_rounds", "must be at least 1, got \(rounds)")
        }
    }
}

extension Objective: Codable {
    private enum Keys: String, CodingKey { case name, numClass }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        try self.init(name: container.decode(String.self, forKey: .name),
                      numClass: container.decodeIfPresent(Int.self, forKey: .numClass))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(name, forKey: .name)
        if case .softprob(let k) = self { try container.encode(k, forKey: .numClass) }
    }
}
