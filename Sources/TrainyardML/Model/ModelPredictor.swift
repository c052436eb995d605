/// A ``TrainyardModel`` prepared for many predictions: the trees are packed into their
/// prediction layout once, not on every call, which matters for single-row requests.
/// Predictions are identical to ``TrainyardModel/predict(_:threads:)``.
public struct ModelPredictor: Sendable {
    public let model: TrainyardModel
    private let forest: PackedForest?

    public init(_ model: TrainyardModel) {
        self.model = model
        if case .gbdt(let trees) = model.estimator {
            forest = PackedForest(trees: trees.trees, groups: trees.treeGroups)
        } else {
            forest = nil
        }
    }

    /// Predictions for a raw table: probabilities (`rows × classes` for multiclass) or values.
    public func predict(_ table: Table, threads: Int = 0) throws(PreprocessingError) -> [Float] {
        switch model.estimator {
        case .gbdt(let trees):
            return trees.predict(try model.preprocessor.transform(table), forest: forest!, threads: threads)
        case .linear:
            return try model.predict(table, threads: threads)
        }
    }
}
