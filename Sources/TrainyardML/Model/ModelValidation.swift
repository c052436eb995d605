/// The structural checks every model read from outside passes before anything predicts with it.
///
/// A model file's checksum proves only that the bytes are the ones written; it says nothing
/// about whether the writer was this program. Prediction indexes arrays with the numbers a
/// file holds (children, features, classes, bucket counts), so each of those is checked here,
/// once, by every reader (``ModelFile/decode(_:path:)``), and a model that fails is refused
/// with the first problem found instead of trapping at load or at its first prediction.
extension TrainyardModel {
    /// Largest number of classes, features or nodes of one tree a model may declare. Far above
    /// anything trained here; low enough that every size derived from them fits an `Int32`.
    public static let structureLimit = 1 << 24

    /// Throws the first structural problem: a label encoding that disagrees with the objective,
    /// preprocessing steps that cannot be applied, or an estimator whose inputs, trees or
    /// output groups disagree with the preprocessing and the objective.
    public func validate() throws(ModelValidationError) {
        try validateObjective(estimator.objective)
        try validateLabel()
        let width = try validatePreprocessor()
        switch estimator {
        case .gbdt(let model): try model.validate(features: width)
        case .linear(let model): try model.validate(features: width)
        }
        if let problem = baseline?.problem { throw .invalid("baseline", problem) }
    }

    private func validateObjective(_ objective: Objective) throws(ModelValidationError) {
        if case .softprob(let k) = objective, !(2...Self.structureLimit).contains(k) {
            throw .invalid("objective", "multi:softprob declares \(k) classes; it needs 2 to \(Self.structureLimit)")
        }
    }

    private func validateLabel() throws(ModelValidationError) {
        guard let classes = label.classes else { return }
        let expected: Int? = switch objective {
        case .binaryLogistic: 2
        case .softprob(let k): k
        case .squaredError: nil
        }
        guard let expected else { throw .invalid("label", "a reg:squarederror model cannot have classes (\(classes.count) given)") }
        guard classes.count == expected else {
            throw .invalid("label", "\(objective.name) needs \(expected) class names, the label has \(classes.count)")
        }
        guard Set(classes).count == classes.count else { throw .invalid("label", "class names repeat") }
    }

    /// Checks each input step and returns the number of features the steps produce.
    private func validatePreprocessor() throws(ModelValidationError) -> Int {
        var names = Set<String>()
        var width = 0
        for input in preprocessor.inputs {
            let field = "preprocessor input '\(input.name.prefix(64))'"
            guard names.insert(input.name).inserted else { throw .invalid(field, "the column is listed twice") }
            switch (input.transform, input.kind) {
            case (.dropped, _), (.passthrough, .numeric), (.standardize, .numeric), (.hashedTFIDF, .text),
                 (.oneHot, .categorical), (.ordinal, .categorical):
                break
            default:
                throw .invalid(field, "a \(input.kind.rawValue) column cannot have this transform")
            }
            switch input.transform {
            case .standardize(let median, let mean, let std):
                guard median.isFinite, mean.isFinite, std.isFinite, std != 0 else {
                    throw .invalid(field, "standardisation needs finite median and mean and a finite, non-zero std")
                }
            case .oneHot(let levels, let imputed):
                guard Set(levels).count == levels.count else { throw .invalid(field, "one-hot levels repeat") }
                if let imputed, !levels.contains(imputed) { throw .invalid(field, "the imputed level is not one of the levels") }
            case .ordinal(let levels):
                guard Set(levels).count == levels.count else { throw .invalid(field, "ordinal levels repeat") }
            case .hashedTFIDF(let idf, let settings):
                guard !idf.isEmpty else { throw .invalid(field, "hashed TF-IDF needs at least one bucket") }
                if let problem = settings?.problem { throw .invalid(field, problem) }
                guard idf.allSatisfy(\.isFinite) else { throw .invalid(field, "IDF weights must be finite") }
            case .passthrough, .dropped:
                break
            }
            width += input.transform.width
            guard width <= Self.structureLimit else {
                throw .invalid("preprocessor", "the inputs produce more than \(Self.structureLimit) features")
            }
        }
        return width
    }
}

extension GBDTModel {
    /// Checks the ensemble against the `features` the preprocessing produces.
    func validate(features: Int) throws(ModelValidationError) {
        guard featureCount == features else {
            throw .invalid("gbdt.featureCount", "the trees read \(featureCount) features, the preprocessing produces \(features)")
        }
        let groups = objective.outputGroups
        guard baseScore.isFinite else { throw .invalid("gbdt.baseScore", "must be finite") }
        if let margins = groupBaseMargins {
            guard margins.count == groups else {
                throw .invalid("gbdt.groupBaseMargins", "has \(margins.count) entries; \(objective.name) has \(groups) output groups")
            }
        }
        guard treeGroups.count == trees.count else {
            throw .invalid("gbdt.treeGroups", "has \(treeGroups.count) entries for \(trees.count) trees")
        }
        if let index = treeGroups.firstIndex(where: { !(0..<groups).contains($0) }) {
            throw .invalid("gbdt.treeGroups", "tree \(index) adds to group \(treeGroups[index]); there are \(groups)")
        }
        var nodes = 0
        for (index, tree) in trees.enumerated() {
            if let problem = tree.problem(features: features) { throw .invalid("gbdt.trees[\(index)]", problem) }
            nodes += tree.nodeCount
            guard tree.nodeCount <= TrainyardModel.structureLimit, nodes < Int(Int32.max) else {
                throw .invalid("gbdt.trees[\(index)]", "the ensemble has more nodes than a model can hold")
            }
        }
    }
}

extension LinearModel {
    /// Checks the weights against the `features` the preprocessing produces.
    func validate(features: Int) throws(ModelValidationError) {
        guard weights.count == features else {
            throw .invalid("linear.weights", "has \(weights.count) entries, the preprocessing produces \(features) features")
        }
        guard weights.allSatisfy(\.isFinite), bias.isFinite else { throw .invalid("linear.weights", "weights and bias must be finite") }
        if case .softprob = objective { throw .invalid("linear.objective", "linear models are binary:logistic or reg:squarederror") }
    }
}

/// Why a decoded model cannot be used: the field at fault and what is wrong with it.
public enum ModelValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String, String)

    /// The part of the model that failed, e.g. `gbdt.trees[3]`.
    public var field: String {
        switch self { case .invalid(let field, _): field }
    }

    public var description: String {
        switch self { case .invalid(let field, let problem): "\(field): \(problem)" }
    }
}
