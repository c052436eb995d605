import Foundation

/// Trains a ``GBDTModel`` with XGBoost's `hist` algorithm, on one machine or over shards.
///
/// Each round: gradients of every row from the current margins, quantised to fixed point;
/// one tree per output group grown by ``TreeGrowth``; margins updated. The result does not
/// depend on the number of threads, nor on how the rows are split into shards.
public struct GBDTTrainer: Sendable {
    public let parameters: GBDTParameters

    /// What training produced besides the model.
    public struct Result: Sendable {
        public var model: GBDTModel
        public var cuts: QuantileCuts
        public var history: [TrainingProgress]
        /// With early stopping: the round (1-based) whose model was kept.
        public var bestRound: Int?
    }

    /// A trainer for `parameters`; throws ``ParameterError`` naming the first invalid one.
    public init(parameters: GBDTParameters) throws(ParameterError) {
        try parameters.validate()
        // The objective is final here (a spec's may still be inferred from the label): the metric must be one it reports.
        if let metric = parameters.evalMetric, !Metrics.names(for: parameters.objective).contains(metric) {
            let names = Metrics.names(for: parameters.objective).joined(separator: ", ")
            throw .invalid("eval_metric", "\(parameters.objective.name) reports \(names); got '\(metric)'")
        }
        self.parameters = parameters
    }

    /// Trains on `features`/`labels`, evaluating on `validation` after every round when given.
    ///
    /// - Parameter progress: called after every round, on the calling thread.
    /// - Parameter shouldStop: asked after every round (after `progress`); `true` ends boosting there.
    public func train(_ features: DenseMatrix, labels: [Float],
                      validation: (features: DenseMatrix, labels: [Float])? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil,
                      shouldStop: (() -> Bool)? = nil) throws(ParameterError) -> Result {
        try validate(features: features, labels: labels, validation: validation)
        let threads = Parallel.resolve(threads: parameters.threads)
        let baseScore = parameters.baseScore ?? parameters.objective.defaultBaseScore(labels: labels)
        let cuts = QuantileCuts.compute(features, maxBin: parameters.maxBin, threads: threads)
        var shard = GBDTShard(features: features, labels: labels, cuts: cuts, objective: parameters.objective,
                              baseMargin: parameters.objective.margin(fromBaseScore: baseScore), threads: threads)
        return boost(&shard, cuts: cuts, baseScore: baseScore, validation: validation, progress: progress, shouldStop: shouldStop)
    }

    /// Checks the data against the parameters before any work: row and label counts, label
    /// values for the objective, and the validation set's width.
    public func validate(features: DenseMatrix, labels: [Float],
                         validation: (features: DenseMatrix, labels: [Float])?) throws(ParameterError) {
        guard features.rows > 0 else { throw .invalid("data", "the training set has no rows") }
        guard labels.count == features.rows else {
            throw .invalid("label", "\(labels.count) labels for \(features.rows) rows")
        }
        try parameters.objective.validate(labels: labels)
        if let validation {
            guard validation.features.columns == features.columns else {
                throw .invalid("validation", "has \(validation.features.columns) features, training has \(features.columns)")
            }
            try parameters.objective.validate(labels: validation.labels)
        }
    }

    /// The trees of the rounds completed so far: what a job persists after every round
    /// and resumes from.
    public struct Checkpoint: Sendable, Codable, Equatable {
        public var trees: [RegressionTree] = []
        public var treeGroups: [Int] = []
        public var history: [TrainingProgress] = []

        public init(trees: [RegressionTree] = [], treeGroups: [Int] = [], history: [TrainingProgress] = []) {
            self.trees = trees
            self.treeGroups = treeGroups
            self.history = history
        }
    }

    /// The boosting loop over `shards`, which hold the training rows — one local shard or
    /// workers' shards — with margins matching `resume` (all base margins when it is `nil`).
    ///
    /// Each round: the gradient exponents (from bounds, or the shards' maxima), then per
    /// output group one tree grown by ``TreeGrowth`` from the shards' summed histograms (or
    /// by the shards themselves, when ``GBDTShards/growTree(_:parameters:featureMask:)`` can);
    /// the validation margins, metric and early stopping are kept here. `roundCompleted`
    /// receives the checkpoint after every round. Errors of the shards (a lost worker)
    /// end the loop; resume from the last checkpoint.
    public func boost<Shards: GBDTShards>(
        _ shards: inout Shards, cuts: QuantileCuts, baseScore: Double,
        validation: (features: DenseMatrix, labels: [Float])? = nil, resume: Checkpoint? = nil,
        progress: ((TrainingProgress) -> Void)? = nil,
        roundCompleted: ((Checkpoint) -> Void)? = nil,
        shouldStop: (() -> Bool)? = nil
    ) throws(Shards.Failure) -> Result {
        let start = ContinuousClock.now
        let threads = Parallel.resolve(threads: parameters.threads)
        let objective = parameters.objective
        let groups = objective.outputGroups
        let baseMargin = objective.margin(fromBaseScore: baseScore)
        let layout = HistogramLayout(binCounts: cuts.binCounts)
        let featureCount = cuts.cuts.count
        let totalRows = shards.totalRows
        var checkpoint = resume ?? Checkpoint()
        var validMargins = [Float](repeating: baseMargin, count: (validation?.features.rows ?? 0) * groups)
        if let validation {
            for (tree, group) in zip(checkpoint.trees, checkpoint.treeGroups) {
                addTree(tree, group: group, groups: groups, features: validation.features, to: &validMargins, threads: threads)
            }
        }
        let metricName = parameters.evalMetric ?? Metrics.defaultMetric(for: objective, labels: [], predictions: []).name
        let higherIsBetter = Metrics.higherIsBetter(metricName)
        func improves(_ value: Double, on best: (round: Int, value: Double)?) -> Bool {
            best.map { higherIsBetter ? value > $0.value : value < $0.value } ?? true
        }
        var best: (round: Int, value: Double)?
        for report in checkpoint.history {
            if let value = report.valid, improves(value, on: best) { best = (report.round, value) }
        }
        let elapsedBefore = checkpoint.history.last?.elapsedSeconds ?? 0
        let firstRound = checkpoint.trees.count / groups
        let stoppedEarly = parameters.earlyStoppingRounds.map { patience in
            best.map { firstRound - $0.round >= patience } ?? false
        } ?? false

        // A tree's root histogram, when the exchange that finished the tree before began it.
        var begun: (start: TreeStart, root: [Int64])?
        for round in firstRound..<(stoppedEarly ? firstRound : parameters.trees) {
            var random = SplitMix64(seed: seed(round: round))
            // The row sample draws one number per dataset row; the feature sample follows it.
            if parameters.subsample < 1 { random.skip(totalRows) }
            let mask = featureMask(count: featureCount, using: &random)
            for group in 0..<groups {
                let treeStart: TreeStart, root: [Int64]?
                if let begun, begun.start.group == group, begun.start.seed == seed(round: round) {
                    (treeStart, root) = (begun.start, begun.root)
                } else {
                    let maxima: (gradient: Float, hessian: Float)
                    if let bounds = objective.gradientBounds { maxima = bounds } else { maxima = try shards.gradientMaxima(group: group) }
                    treeStart = TreeStart(group: group, scale: GradientScale(maxGradient: maxima.gradient, maxHessian: maxima.hessian),
                                          subsample: parameters.subsample, seed: seed(round: round))
                    root = nil
                }
                begun = nil
                let tree: RegressionTree
                if root == nil, let grown = try shards.growTree(treeStart, parameters: parameters, featureMask: mask) {
                    tree = grown
                } else {
                    let next = nextStart(round: round, group: group)
                    let rootHistogram: [Int64]
                    if let root { rootHistogram = root } else { rootHistogram = try shards.beginTree(treeStart) }
                    let grown = try Self.grow(&shards, parameters: parameters, layout: layout, cuts: cuts, start: treeStart,
                                              featureMask: mask, root: rootHistogram, threads: threads, next: next)
                    tree = grown.tree
                    if let next, let nextRoot = grown.nextRoot { begun = (next, nextRoot) }
                }
                if let validation {
                    addTree(tree, group: group, groups: groups, features: validation.features, to: &validMargins, threads: threads)
                }
                checkpoint.trees.append(tree)
                checkpoint.treeGroups.append(group)
            }

            var report = TrainingProgress(round: round + 1, totalRounds: parameters.trees, metric: metricName,
                                          elapsedSeconds: elapsedBefore + (ContinuousClock.now - start) / .seconds(1))
            if let validation {
                let predictions = transformed(validMargins, objective: objective)
                let value = parameters.evalMetric.map { Metrics.value($0, for: objective, labels: validation.labels, predictions: predictions) ?? .nan }
                    ?? Metrics.defaultMetric(for: objective, labels: validation.labels, predictions: predictions).value
                report.valid = value
                if improves(value, on: best) { best = (round + 1, value) }
            }
            checkpoint.history.append(report)
            roundCompleted?(checkpoint)
            progress?(report)
            if let patience = parameters.earlyStoppingRounds, let best, round + 1 - best.round >= patience { break }
            // A tuning scheduler's stop, asked after every round: the model keeps the rounds grown so far.
            if shouldStop?() == true { break }
        }

        var model = GBDTModel(objective: objective, baseScore: baseScore, featureCount: featureCount,
                              trees: checkpoint.trees, treeGroups: checkpoint.treeGroups)
        var bestRound: Int?
        if parameters.earlyStoppingRounds != nil, let best {
            model = model.truncated(toRounds: best.round)
            bestRound = best.round
        }
        return Result(model: model, cuts: cuts, history: checkpoint.history, bestRound: bestRound)
    }

    /// Grows one tree over `shards` from its `root` histogram, one level at a time, and
    /// finishes it on the shards (partition by the last level, margins of `start.group`);
    /// with `next`, the shards begin that tree in the same exchange and its root is returned.
    static func grow<Shards: GBDTShards>(
        _ shards: inout Shards, parameters: GBDTParameters, layout: HistogramLayout, cuts: QuantileCuts,
        start: TreeStart, featureMask: [Bool], root: [Int64], threads: Int, next: TreeStart?
    ) throws(Shards.Failure) -> (tree: RegressionTree, nextRoot: [Int64]?) {
        var growth = TreeGrowth(parameters: parameters, layout: layout, cuts: cuts, scale: start.scale,
                                featureMask: featureMask, rootHistogram: root, threads: threads)
        var lastSplits: [SplitOrder] = []
        while true {
            let splits = growth.nextSplits()
            guard !splits.isEmpty else { break }
            // The last level's children are leaves: partition with the margin update.
            guard growth.childrenNeedHistograms else {
                lastSplits = splits
                break
            }
            growth.receive(children: try shards.split(splits))
        }
        let (tree, leaves) = growth.finish()
        let nextRoot = try shards.finishTree(start.subsample < 1 ? tree : nil, lastSplits: lastSplits,
                                             group: start.group, leaves: leaves, thenBegin: next)
        return (tree, nextRoot)
    }

    /// The seed of `round`'s row and feature samples.
    private func seed(round: Int) -> UInt64 {
        parameters.seed &+ UInt64(round) &* 0x9E37_79B9_7F4A_7C15
    }

    /// The start of the tree after `round`'s tree of `group`, when it can be known before
    /// this tree's margins are added — objectives with gradient bounds — so the shards can
    /// begin it in the exchange that finishes this one; `nil` after the last tree. (With
    /// early stopping, a tree begun this way may never be grown; that costs one root histogram.)
    private func nextStart(round: Int, group: Int) -> TreeStart? {
        guard let bounds = parameters.objective.gradientBounds else { return nil }
        let groups = parameters.objective.outputGroups
        let (nextRound, nextGroup) = group + 1 < groups ? (round, group + 1) : (round + 1, 0)
        guard nextRound < parameters.trees else { return nil }
        return TreeStart(group: nextGroup, scale: GradientScale(maxGradient: bounds.gradient, maxHessian: bounds.hessian),
                         subsample: parameters.subsample, seed: seed(round: nextRound))
    }

    /// `colsample_bytree`: a seeded choice of `max(1, ⌊n × fraction⌋)` features.
    private func featureMask(count: Int, using random: inout SplitMix64) -> [Bool] {
        guard parameters.colsampleByTree < 1 else { return [Bool](repeating: true, count: count) }
        let keep = max(1, Int(Double(count) * parameters.colsampleByTree))
        var mask = [Bool](repeating: false, count: count)
        for feature in (0..<count).shuffled(using: &random).prefix(keep) { mask[feature] = true }
        return mask
    }

    /// Adds a new tree's output to margins of raw-feature rows (the validation set).
    private func addTree(_ tree: RegressionTree, group: Int, groups: Int, features: DenseMatrix, to margins: inout [Float], threads: Int) {
        margins.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            features.values.withUnsafeBufferPointer { values in
                Parallel.forEachBlock(count: features.rows, threads: threads, minimumBlock: 16384) { range, _ in
                    for row in range {
                        out[row * groups + group] += tree.predict(values.baseAddress! + row * features.columns)
                    }
                }
            }
        }
    }

    private func transformed(_ margins: [Float], objective: Objective) -> [Float] {
        var copy = margins
        let groups = objective.outputGroups
        copy.withUnsafeMutableBufferPointer { out in
            for row in 0..<(out.count / groups) {
                objective.transform(UnsafeMutableBufferPointer(rebasing: out[row * groups..<(row + 1) * groups]))
            }
        }
        return copy
    }
}

