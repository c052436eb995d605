import TrainyardML

/// The training parameters a search space may name (`trainyard train`'s options, with
/// underscores; XGBoost's and scikit-learn's spellings too) and how each sets a
/// ``TrainingSpec``.
public enum TrainingParameterNames {
    /// Every accepted name, with what it sets.
    public static let all: [String: String] = [
        "model": "gbdt or linear", "n_trees": "boosting rounds", "num_round": "boosting rounds", "n_estimators": "boosting rounds",
        "max_depth": "tree depth", "eta": "learning rate", "learning_rate": "learning rate", "lambda": "L2 strength (trees and linear)",
        "reg_lambda": "L2 strength", "alpha": "L1 strength (trees)", "reg_alpha": "L1 strength", "gamma": "minimum split gain",
        "min_child_weight": "minimum hessian per leaf", "subsample": "row sampling", "colsample_bytree": "feature sampling",
        "max_bin": "histogram bins", "max_one_hot": "one-hot limit", "text_buckets": "hashed text features",
        "text_ngrams": "text n-grams (1, 1-2, …)", "max_iter": "L-BFGS iterations", "tol": "L-BFGS tolerance",
    ]

    /// Checks that every parameter of `space` (searched and fixed) is a training parameter.
    public static func check(_ space: SearchSpace) throws(SearchSpaceError) {
        for name in space.parameters.map(\.name) + space.fixed.keys.sorted() where all[name] == nil {
            throw .invalid(name, "not a training parameter; known: \(all.keys.sorted().joined(separator: ", "))")
        }
    }

    /// `spec` with `values` applied; throws naming a value of the wrong kind.
    public static func apply(_ values: [String: ParameterValue], to spec: TrainingSpec) throws(SearchSpaceError) -> TrainingSpec {
        var spec = spec
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            func number() throws(SearchSpaceError) -> Double {
                guard let number = value.number else { throw .invalid(name, "must be a number, got '\(value)'") }
                return number
            }
            func integer() throws(SearchSpaceError) -> Int {
                let number = try number()
                guard number == number.rounded(), abs(number) < 1e15 else { throw .invalid(name, "must be an integer, got \(value)") }
                return Int(number)
            }
            switch name {
            case "model":
                guard case .string(let text) = value, let kind = TrainingRequest.ModelKind(rawValue: text) else {
                    throw .invalid(name, "must be gbdt or linear, got '\(value)'")
                }
                spec.model = kind
            case "n_trees", "num_round", "n_estimators": spec.gbdt.trees = try integer()
            case "max_depth": spec.gbdt.maxDepth = try integer()
            case "eta", "learning_rate": spec.gbdt.eta = try number()
            case "lambda", "reg_lambda":
                spec.gbdt.lambda = try number()
                spec.linear.lambda = try number()
            case "alpha", "reg_alpha": spec.gbdt.alpha = try number()
            case "gamma": spec.gbdt.gamma = try number()
            case "min_child_weight": spec.gbdt.minChildWeight = try number()
            case "subsample": spec.gbdt.subsample = try number()
            case "colsample_bytree": spec.gbdt.colsampleByTree = try number()
            case "max_bin": spec.gbdt.maxBin = try integer()
            case "max_one_hot": spec.maxOneHot = try integer()
            case "text_buckets": spec.textBuckets = try integer()
            case "text_ngrams":
                guard let (low, high) = TextSettings.ngramRange(value.description) else {
                    throw .invalid(name, "must be N or MIN-MAX, got '\(value)'")
                }
                var text = spec.text ?? .standard
                (text.ngramMin, text.ngramMax) = (low, high)
                spec.text = text
            case "max_iter": spec.linear.maxIterations = try integer()
            case "tol": spec.linear.tolerance = try number()
            default: throw .invalid(name, "not a training parameter")
            }
        }
        return spec
    }
}
