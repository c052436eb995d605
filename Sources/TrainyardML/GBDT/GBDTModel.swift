/// A trained gradient-boosted tree ensemble: what prediction needs, nothing more.
public struct GBDTModel: Sendable, Equatable, Codable {
    public var objective: Objective
    /// `base_score` in prediction space (a probability for `binary:logistic`), as XGBoost stores it.
    public var baseScore: Double
    public var featureCount: Int
    public var trees: [RegressionTree]
    /// The output group (class) each tree adds to.
    public var treeGroups: [Int]
    /// Per-group starting margins, overriding `baseScore` (imported XGBoost multiclass
    /// models carry one intercept per class). `nil` for models trained here.
    public var groupBaseMargins: [Float]?

    /// A model from its parts; `treeGroups[i]` is the output group tree `i` adds to.
    public init(objective: Objective, baseScore: Double, featureCount: Int, trees: [RegressionTree], treeGroups: [Int]) {
        precondition(trees.count == treeGroups.count)
        self.objective = objective
        self.baseScore = baseScore
        self.featureCount = featureCount
        self.trees = trees
        self.treeGroups = treeGroups
    }

    /// Margins (before the objective's transform), `rows × outputGroups`, row-major.
    public func predictMargins(_ matrix: DenseMatrix, threads: Int = 0) -> [Float] {
        predictMargins(matrix, forest: PackedForest(trees: trees, groups: treeGroups), threads: threads)
    }

    /// Margins with the trees already packed (``ModelPredictor`` packs them once per model).
    func predictMargins(_ matrix: DenseMatrix, forest: PackedForest, threads: Int) -> [Float] {
        precondition(matrix.columns == featureCount, "model expects \(featureCount) features, matrix has \(matrix.columns)")
        let groups = objective.outputGroups
        let base = baseMargins
        var margins = [Float](repeating: 0, count: matrix.rows * groups)
        for row in 0..<matrix.rows { for g in 0..<groups { margins[row * groups + g] = base[g] } }
        margins.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            matrix.values.withUnsafeBufferPointer { values in
                Parallel.forEachBlock(count: matrix.rows, threads: Parallel.resolve(threads: threads), minimumBlock: 1024) { range, _ in
                    forest.accumulate(features: values.baseAddress!, columns: matrix.columns, rows: range,
                                      margins: out.baseAddress!, groupCount: groups)
                }
            }
        }
        return margins
    }

    /// The margin every row starts from, per output group.
    public var baseMargins: [Float] {
        groupBaseMargins ?? [Float](repeating: objective.margin(fromBaseScore: baseScore), count: objective.outputGroups)
    }

    /// Predictions (probabilities for the classification objectives), `rows × outputGroups`.
    public func predict(_ matrix: DenseMatrix, threads: Int = 0) -> [Float] {
        predict(matrix, forest: PackedForest(trees: trees, groups: treeGroups), threads: threads)
    }

    func predict(_ matrix: DenseMatrix, forest: PackedForest, threads: Int) -> [Float] {
        var margins = predictMargins(matrix, forest: forest, threads: threads)
        let groups = objective.outputGroups
        let objective = self.objective
        margins.withUnsafeMutableBufferPointer { out in
            for row in 0..<matrix.rows {
                objective.transform(UnsafeMutableBufferPointer(rebasing: out[row * groups..<(row + 1) * groups]))
            }
        }
        return margins
    }

    /// Keeps the first `rounds` boosting rounds (early stopping's best iteration).
    public func truncated(toRounds rounds: Int) -> GBDTModel {
        let keep = min(trees.count, rounds * objective.outputGroups)
        var model = GBDTModel(objective: objective, baseScore: baseScore, featureCount: featureCount,
                              trees: Array(trees.prefix(keep)), treeGroups: Array(treeGroups.prefix(keep)))
        model.groupBaseMargins = groupBaseMargins
        return model
    }

    /// XGBoost's `gain` importance: the average loss change of the splits on each feature,
    /// and `total_gain`, their sum. Features never split on are absent.
    public func featureImportance() -> [Int: (gain: Double, totalGain: Double, splits: Int)] {
        var totals: [Int: (Double, Int)] = [:]
        for tree in trees {
            for node in 0..<tree.nodeCount where tree.left[node] >= 0 {
                let f = Int(tree.feature[node])
                let current = totals[f] ?? (0, 0)
                totals[f] = (current.0 + Double(tree.lossChange[node]), current.1 + 1)
            }
        }
        return totals.mapValues { (gain: $0.0 / Double($0.1), totalGain: $0.0, splits: $0.1) }
    }
}
