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
        self.parameters = parameters
    }

    /// Trains on `features`/`labels`, evaluating on `validation` after every round when given.
    ///
    /// - Parameter progress: called after every round, on the calling thread.
    public func train(_ features: DenseMatrix, labels: [Float],
                      validation: (features: DenseMatrix, labels: [Float])? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) throws(ParameterError) -> Result {
        try validate(features: features, labels: labels, validation: validation)
        let threads = Parallel.resolve(threads: parameters.threads)
        let baseScore = parameters.baseScore ?? parameters.objective.defaultBaseScore(labels: labels)
        let cuts = QuantileCuts.compute(features, maxBin: parameters.maxBin, threads: threads)
        var shard = GBDTShard(features: features, labels: labels, cuts: cuts, objective: parameters.objective,
                              baseMargin: parameters.objective.margin(fromBaseScore: baseScore), threads: threads)
        return boost(&shard, cuts: cuts, baseScore: baseScore, validation: validation, progress: progress)
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
    /// output group one tree grown by ``TreeGrowth`` from the shards' summed histograms;
    /// the validation margins, metric and early stopping are kept here. `roundCompleted`
    /// receives the checkpoint after every round. Errors of the shards (a lost worker)
    /// end the loop; resume from the last checkpoint.
    public func boost<Shards: GBDTShards>(
        _ shards: inout Shards, cuts: QuantileCuts, baseScore: Double,
        validation: (features: DenseMatrix, labels: [Float])? = nil, resume: Checkpoint? = nil,
        progress: ((TrainingProgress) -> Void)? = nil,
        roundCompleted: ((Checkpoint) -> Void)? = nil
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
        let metricName = Metrics.defaultMetric(for: objective, labels: [], predictions: []).name
        var best: (round: Int, value: Double)?
        for report in checkpoint.history {
            if let value = report.valid, best.map({ value < $0.value }) ?? true { best = (report.round, value) }
        }
        let elapsedBefore = checkpoint.history.last?.elapsedSeconds ?? 0
        let firstRound = checkpoint.trees.count / groups
        let stoppedEarly = parameters.earlyStoppingRounds.map { patience in
            best.map { firstRound - $0.round >= patience } ?? false
        } ?? false

        for round in firstRound..<(stoppedEarly ? firstRound : parameters.trees) {
            let seed = parameters.seed &+ UInt64(round) &* 0x9E37_79B9_7F4A_7C15
            var random = SplitMix64(seed: seed)
            // The row sample draws one number per dataset row; the feature sample follows it.
            if parameters.subsample < 1 { random.skip(totalRows) }
            let mask = featureMask(count: featureCount, using: &random)
            for group in 0..<groups {
                let scale: GradientScale
                if let bounds = objective.gradientBounds {
                    scale = GradientScale(maxGradient: bounds.gradient, maxHessian: bounds.hessian)
                } else {
                    let maxima = try shards.gradientMaxima(group: group)
                    scale = GradientScale(maxGradient: maxima.gradient, maxHessian: maxima.hessian)
                }
                let root = try shards.beginTree(TreeStart(group: group, scale: scale, subsample: parameters.subsample, seed: seed))
                var growth = TreeGrowth(parameters: parameters, layout: layout, cuts: cuts, scale: scale,
                                        featureMask: mask, rootHistogram: root, threads: threads)
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
                try shards.applySplits(lastSplits, thenFinish: tree, group: group, leaves: leaves)
                if let validation {
                    addTree(tree, group: group, groups: groups, features: validation.features, to: &validMargins, threads: threads)
                }
                checkpoint.trees.append(tree)
                checkpoint.treeGroups.append(group)
            }

            var report = TrainingProgress(round: round + 1, totalRounds: parameters.trees, metric: metricName,
                                          elapsedSeconds: elapsedBefore + (ContinuousClock.now - start).seconds)
            if let validation {
                let value = Metrics.defaultMetric(for: objective, labels: validation.labels,
                                                  predictions: transformed(validMargins, objective: objective)).value
                report.valid = value
                if best.map({ value < $0.value }) ?? true { best = (round + 1, value) }
            }
            checkpoint.history.append(report)
            roundCompleted?(checkpoint)
            progress?(report)
            if let patience = parameters.earlyStoppingRounds, let best, round + 1 - best.round >= patience { break }
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

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
