import Foundation

/// Trains a ``GBDTModel`` with XGBoost's `hist` algorithm on one machine.
///
/// Each round: gradients of every row from the current margins, quantised to fixed point;
/// one tree per output group grown by ``TreeGrower``; margins updated. The result does not
/// depend on the number of threads.
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
    /// - Parameters:
    ///   - evaluateTrain: also compute the training metric every round (costs a pass over the data).
    ///   - progress: called after every round, on the calling thread.
    public func train(_ features: DenseMatrix, labels: [Float],
                      validation: (features: DenseMatrix, labels: [Float])? = nil,
                      evaluateTrain: Bool = false,
                      progress: ((TrainingProgress) -> Void)? = nil) throws(ParameterError) -> Result {
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
        let start = ContinuousClock.now
        let threads = Parallel.resolve(threads: parameters.threads)
        let objective = parameters.objective
        let groups = objective.outputGroups
        let baseScore = parameters.baseScore ?? objective.defaultBaseScore(labels: labels)
        let baseMargin = objective.margin(fromBaseScore: baseScore)

        let cuts = QuantileCuts.compute(features, maxBin: parameters.maxBin, threads: threads)
        let bins = BinMatrix(features, cuts: cuts, threads: threads)
        let grower = TreeGrower(parameters: parameters, bins: bins, cuts: cuts, threads: threads)
        var margins = [Float](repeating: baseMargin, count: features.rows * groups)
        var validMargins = [Float](repeating: baseMargin, count: (validation?.features.rows ?? 0) * groups)
        var floats = [Float](repeating: 0, count: 2 * features.rows)
        let allRows = (0..<UInt32(features.rows)).map { $0 }

        var trees: [RegressionTree] = []
        var treeGroups: [Int] = []
        var history: [TrainingProgress] = []
        var best: (round: Int, value: Double)?
        let metricName = Metrics.defaultMetric(for: objective, labels: [], predictions: []).name

        for round in 0..<parameters.trees {
            var random = SplitMix64(seed: parameters.seed &+ UInt64(round) &* 0x9E37_79B9_7F4A_7C15)
            let rows = parameters.subsample < 1
                ? allRows.filter { _ in Double(random.next() >> 11) / Double(1 << 53) < parameters.subsample }
                : allRows
            let mask = featureMask(count: features.columns, using: &random)
            for group in 0..<groups {
                let gradients = computeGradients(margins: margins, labels: labels, group: group, into: &floats, threads: threads)
                let grown = grower.grow(rows: rows, gradients: gradients, featureMask: mask)
                let tree = grown.tree
                addLeaves(grown, group: group, groups: groups, to: &margins, threads: threads)
                if rows.count < features.rows {
                    addTree(tree, group: group, groups: groups, bins: bins, rows: unsampled(rows, of: features.rows),
                            to: &margins, threads: threads)
                }
                if let validation {
                    addTree(tree, group: group, groups: groups, features: validation.features, to: &validMargins, threads: threads)
                }
                trees.append(tree)
                treeGroups.append(group)
            }

            var report = TrainingProgress(round: round + 1, totalRounds: parameters.trees, metric: metricName,
                                          elapsedSeconds: (ContinuousClock.now - start).seconds)
            if evaluateTrain {
                report.train = Metrics.defaultMetric(for: objective, labels: labels,
                                                     predictions: transformed(margins, objective: objective)).value
            }
            if let validation {
                let value = Metrics.defaultMetric(for: objective, labels: validation.labels,
                                                  predictions: transformed(validMargins, objective: objective)).value
                report.valid = value
                if best.map({ value < $0.value }) ?? true { best = (round + 1, value) }
            }
            history.append(report)
            progress?(report)
            if let patience = parameters.earlyStoppingRounds, let best, round + 1 - best.round >= patience { break }
        }

        var model = GBDTModel(objective: objective, baseScore: baseScore, featureCount: features.columns,
                              trees: trees, treeGroups: treeGroups)
        var bestRound: Int?
        if parameters.earlyStoppingRounds != nil, let best {
            model = model.truncated(toRounds: best.round)
            bestRound = best.round
        }
        return Result(model: model, cuts: cuts, history: history, bestRound: bestRound)
    }

    /// `colsample_bytree`: a seeded choice of `max(1, ⌊n × fraction⌋)` features.
    private func featureMask(count: Int, using random: inout SplitMix64) -> [Bool] {
        guard parameters.colsampleByTree < 1 else { return [Bool](repeating: true, count: count) }
        let keep = max(1, Int(Double(count) * parameters.colsampleByTree))
        var mask = [Bool](repeating: false, count: count)
        for feature in (0..<count).shuffled(using: &random).prefix(keep) { mask[feature] = true }
        return mask
    }

    /// Gradient pairs of every row for one output group, quantised with exponents fitted to
    /// the largest magnitudes.
    private func computeGradients(margins: [Float], labels: [Float], group: Int, into floats: inout [Float],
                                  threads: Int) -> QuantizedGradients {
        let objective = parameters.objective
        let groups = objective.outputGroups
        let rows = labels.count
        if let bounds = objective.gradientBounds {
            return margins.withUnsafeBufferPointer { margins in
                labels.withUnsafeBufferPointer { labels in
                    QuantizedGradients(rows: rows, gradientExponent: QuantizedGradients.exponent(maxAbs: bounds.gradient),
                                       hessianExponent: QuantizedGradients.exponent(maxAbs: bounds.hessian), threads: threads) { row in
                        objective.gradient(margins: UnsafeBufferPointer(rebasing: margins[row * groups..<(row + 1) * groups]),
                                           label: labels[row], group: group)
                    }
                }
            }
        }
        var maxima = [(g: Float, h: Float)](repeating: (0, 0), count: threads)
        floats.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            maxima.withUnsafeMutableBufferPointer { maxOut in
                nonisolated(unsafe) let maxOut = maxOut
                margins.withUnsafeBufferPointer { margins in
                    labels.withUnsafeBufferPointer { labels in
                        Parallel.forEachBlock(count: rows, threads: threads, minimumBlock: 16384) { range, worker in
                            var maxG: Float = 0, maxH: Float = 0
                            for row in range {
                                let rowMargins = UnsafeBufferPointer(rebasing: margins[row * groups..<(row + 1) * groups])
                                let (g, h) = objective.gradient(margins: rowMargins, label: labels[row], group: group)
                                out[2 * row] = g
                                out[2 * row + 1] = h
                                maxG = max(maxG, abs(g))
                                maxH = max(maxH, h)
                            }
                            maxOut[worker] = (max(maxOut[worker].g, maxG), max(maxOut[worker].h, maxH))
                        }
                    }
                }
            }
        }
        let maxG = maxima.map(\.g).max() ?? 0, maxH = maxima.map(\.h).max() ?? 0
        return floats.withUnsafeBufferPointer {
            QuantizedGradients($0, gradientExponent: QuantizedGradients.exponent(maxAbs: maxG),
                               hessianExponent: QuantizedGradients.exponent(maxAbs: maxH), threads: threads)
        }
    }

    /// Adds a new tree's output to the margins of the rows it was grown on: the grower
    /// already knows each row's leaf, so no traversal is needed.
    private func addLeaves(_ grown: TreeGrower.Grown, group: Int, groups: Int, to margins: inout [Float], threads: Int) {
        margins.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            grown.order.withUnsafeBufferPointer { order in
                Parallel.forEach(count: grown.leaves.count, threads: threads) { k in
                    let (rows, value) = grown.leaves[k]
                    for i in rows { out[Int(order[i]) * groups + group] += value }
                }
            }
        }
    }

    /// Rows not in the sorted sample.
    private func unsampled(_ sample: [UInt32], of count: Int) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(count - sample.count)
        var next = 0
        for row in 0..<UInt32(count) {
            if next < sample.count && sample[next] == row { next += 1 } else { result.append(row) }
        }
        return result
    }

    /// Adds a new tree's output to the margins of `rows` (left out by subsampling), routing them by their bins.
    private func addTree(_ tree: RegressionTree, group: Int, groups: Int, bins: BinMatrix, rows: [UInt32],
                         to margins: inout [Float], threads: Int) {
        margins.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            bins.bins.withUnsafeBufferPointer { binValues in
                bins.binCounts.withUnsafeBufferPointer { counts in
                    Parallel.forEachBlock(count: rows.count, threads: threads, minimumBlock: 16384) { range, _ in
                        for i in range {
                            let row = Int(rows[i])
                            out[row * groups + group] += tree.predict(bins: binValues.baseAddress! + row * bins.features,
                                                                      binCounts: counts.baseAddress!)
                        }
                    }
                }
            }
        }
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
