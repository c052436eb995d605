/// A block of consecutive training rows and everything boosting keeps per row: bins,
/// labels, margins, gradients and the rows' places in the tree being grown.
///
/// It answers the per-row half of boosting — gradients, histograms, partitions, margin
/// updates — while ``TreeGrowth`` makes the decisions. Local training uses one shard of
/// all rows; a distributed job gives each worker one or more shards of the same dataset.
/// Every result is either exact integer sums or per-row values, so shards of any size
/// produce the same model.
public struct GBDTShard: Sendable {
    public let bins: BinMatrix
    /// The cuts the rows were binned with (split thresholds come from them).
    public let cuts: QuantileCuts
    public let labels: [Float]
    public let objective: Objective
    /// Global index of the shard's first row, and the dataset's row count (row sampling
    /// draws one number per global row).
    public let firstRow: Int
    public let totalRows: Int
    public let threads: Int
    /// Current margins, `rows × outputGroups`.
    public private(set) var margins: [Float]
    private let baseMargin: Float

    private var floats: [Float] = []
    private var gradients = QuantizedGradients(rows: 0, gradientExponent: 0, hessianExponent: 0, threads: 1) { _ in (0, 0) }
    /// The sampled rows, reordered so each node's rows are contiguous.
    private var order: [UInt32] = []
    private var scratch: [UInt32] = []
    /// The rows not in this tree's sample (sorted).
    private var unsampled: [UInt32] = []
    /// Each node's range in `order`, by node id.
    private var ranges: [Range<Int>] = []
    /// This shard's histograms of the nodes whose splits come next (the root after
    /// ``beginTree(_:)``, the children after ``split(_:)``): the parents their children's
    /// histograms are subtracted from.
    private var openHistograms: [Int32: [Int64]] = [:]

    /// Bins `features` with `cuts` and starts every margin at `baseMargin`.
    public init(features: DenseMatrix, labels: [Float], cuts: QuantileCuts, objective: Objective, baseMargin: Float,
                firstRow: Int = 0, totalRows: Int? = nil, threads: Int) {
        precondition(labels.count == features.rows, "one label per row")
        bins = BinMatrix(features, cuts: cuts, threads: threads)
        self.cuts = cuts
        self.labels = labels
        self.objective = objective
        self.firstRow = firstRow
        self.totalRows = totalRows ?? features.rows
        self.threads = threads
        self.baseMargin = baseMargin
        margins = [Float](repeating: baseMargin, count: features.rows * objective.outputGroups)
    }

    public var rows: Int { labels.count }

    /// For objectives without gradient bounds: computes the gradients of `group` from the
    /// current margins and returns their largest magnitudes, from which the exponents of
    /// the next ``beginTree(_:)`` are chosen (the maximum over all shards).
    public mutating func gradientMaxima(group: Int) -> (gradient: Float, hessian: Float) {
        let groups = objective.outputGroups, objective = self.objective
        let rows = self.rows, threads = self.threads, margins = self.margins, labels = self.labels
        if floats.count != 2 * rows { floats = [Float](repeating: 0, count: 2 * rows) }
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
        return (maxima.map(\.g).max() ?? 0, maxima.map(\.h).max() ?? 0)
    }

    /// Starts a tree: quantises the gradients with `start.scale` (computing them first for
    /// bounded objectives; from ``gradientMaxima(group:)`` otherwise), draws the row sample
    /// and returns the root histogram of the sampled rows.
    public mutating func beginTree(_ start: TreeStart) -> [Int64] {
        let groups = objective.outputGroups, objective = self.objective, group = start.group
        if objective.gradientBounds != nil {
            gradients = margins.withUnsafeBufferPointer { margins in
                labels.withUnsafeBufferPointer { labels in
                    QuantizedGradients(rows: rows, gradientExponent: start.scale.gradientExponent,
                                       hessianExponent: start.scale.hessianExponent, threads: threads) { row in
                        objective.gradient(margins: UnsafeBufferPointer(rebasing: margins[row * groups..<(row + 1) * groups]),
                                           label: labels[row], group: group)
                    }
                }
            }
        } else {
            precondition(floats.count == 2 * rows, "gradientMaxima(group:) must come before beginTree for \(objective.name)")
            gradients = floats.withUnsafeBufferPointer {
                QuantizedGradients($0, gradientExponent: start.scale.gradientExponent,
                                   hessianExponent: start.scale.hessianExponent, threads: threads)
            }
        }
        order = []
        unsampled = []
        if start.subsample < 1 {
            var random = SplitMix64(seed: start.seed)
            random.skip(firstRow)
            order.reserveCapacity(rows)
            for row in 0..<UInt32(rows) {
                if Double(random.next() >> 11) / Double(1 << 53) < start.subsample { order.append(row) } else { unsampled.append(row) }
            }
        } else {
            order = (0..<UInt32(rows)).map { $0 }
        }
        if scratch.count != rows { scratch = [UInt32](repeating: 0, count: rows) }
        ranges = [0..<order.count]
        let builder = HistogramBuilder(threads: threads)
        let root = gradients.pairs.withUnsafeBufferPointer { grads in
            order.withUnsafeBufferPointer { builder.build(rows: $0, bins: bins, gradients: grads) }
        }
        openHistograms = [0: root]
        return root
    }

    /// Partitions the rows of each split node into its children (nodes of one level own
    /// disjoint ranges, so they go in parallel) and returns each split's `(left, right)`
    /// row counts.
    public mutating func applySplits(_ splits: [SplitOrder]) -> [(left: Int, right: Int)] {
        var leftCounts = [Int](repeating: 0, count: splits.count)
        let nodeRanges = splits.map { ranges[Int($0.node)] }
        let bins = self.bins, threads = self.threads
        order.withUnsafeMutableBufferPointer { rows in
            nonisolated(unsafe) let rows = rows
            scratch.withUnsafeMutableBufferPointer { spare in
                nonisolated(unsafe) let spare = spare
                leftCounts.withUnsafeMutableBufferPointer { counts in
                    nonisolated(unsafe) let counts = counts
                    // Large nodes split their rows over the threads one after another; the
                    // small ones are spread over the threads whole.
                    let large = splits.indices.filter { nodeRanges[$0].count >= RowPartition.parallelRows }
                    let small = splits.indices.filter { nodeRanges[$0].count < RowPartition.parallelRows }
                    for k in large {
                        counts[k] = RowPartition.parallelPartition(rows, scratch: spare, range: nodeRanges[k],
                                                                   split: splits[k], bins: bins, threads: threads)
                    }
                    Parallel.forEach(count: small.count, threads: threads) { i in
                        let k = small[i]
                        counts[k] = RowPartition.partition(rows, scratch: spare, range: nodeRanges[k], split: splits[k], bins: bins)
                    }
                }
            }
        }
        var result: [(left: Int, right: Int)] = []
        for (k, split) in splits.enumerated() {
            let range = nodeRanges[k]
            let leftRange = range.lowerBound..<range.lowerBound + leftCounts[k]
            let rightRange = leftRange.upperBound..<range.upperBound
            let needed = Int(max(split.left, split.right)) + 1
            if ranges.count < needed { ranges += [Range<Int>](repeating: 0..<0, count: needed - ranges.count) }
            ranges[Int(split.left)] = leftRange
            ranges[Int(split.right)] = rightRange
            result.append((leftRange.count, rightRange.count))
        }
        return result
    }

    /// Partitions like ``applySplits(_:)`` and returns both children's histograms of each
    /// split, on this shard's rows: the child with fewer rows here is built, its sibling is
    /// the parent's histogram minus it. The children become the open nodes whose histograms
    /// the next call subtracts from, so every split's node must be an open node.
    ///
    /// Each shard picks its own smaller child, so no shard waits for the others' row counts.
    public mutating func split(_ splits: [SplitOrder]) -> [(left: [Int64], right: [Int64])] {
        let counts = applySplits(splits)
        let smaller = zip(splits, counts).map { split, count in count.left <= count.right ? split.left : split.right }
        let built = histograms(nodes: smaller)
        let parents = splits.map { split in
            guard let parent = openHistograms[split.node] else { preconditionFailure("node \(split.node) is not open") }
            return parent
        }
        var siblings = [[Int64]](repeating: [], count: splits.count)
        siblings.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: splits.count, threads: threads) { k in
                out[k] = HistogramBuilder.subtract(parents[k], built[k])
            }
        }
        var children: [(left: [Int64], right: [Int64])] = []
        openHistograms = [:]
        for k in splits.indices {
            let pair = smaller[k] == splits[k].left ? (built[k], siblings[k]) : (siblings[k], built[k])
            children.append(pair)
            openHistograms[splits[k].left] = pair.0
            openHistograms[splits[k].right] = pair.1
        }
        return children
    }

    /// Each split's `(left, right)` row counts, after ``applySplits(_:)`` or ``split(_:)``.
    public func rowCounts(of splits: [SplitOrder]) -> [(left: Int, right: Int)] {
        splits.map { (ranges[Int($0.left)].count, ranges[Int($0.right)].count) }
    }

    /// Why `splits` cannot be applied to this shard's current tree, or `nil` when they can:
    /// what a worker checks before it trusts a request. Each split's node must be a distinct
    /// node of the tree (an open one, with `histograms`), its feature one of the shard's,
    /// its children new, distinct ids below 2²⁰.
    public func problem(with splits: [SplitOrder], histograms: Bool) -> String? {
        guard !ranges.isEmpty else { return "no tree has been started" }
        var seen = Set<Int32>()
        for split in splits {
            guard split.node >= 0, Int(split.node) < ranges.count else { return "split of unknown node \(split.node)" }
            guard !histograms || openHistograms[split.node] != nil else { return "split of node \(split.node), which is not open" }
            guard split.feature >= 0, Int(split.feature) < bins.features else {
                return "split of node \(split.node) on feature \(split.feature); the shard has \(bins.features)"
            }
            for child in [split.left, split.right] {
                guard child > split.node, child < 1 << 20, Int(child) >= ranges.count || ranges[Int(child)].isEmpty else {
                    return "split of node \(split.node) into invalid child \(child)"
                }
            }
            guard seen.insert(split.node).inserted, seen.insert(split.left).inserted, seen.insert(split.right).inserted else {
                return "node \(split.node) or its children appear twice in one level"
            }
        }
        return nil
    }

    /// Why `nodes` (for ``histograms(nodes:)`` or leaves of ``finishTree(_:group:leaves:)``)
    /// are not nodes of this shard's current tree, or `nil`.
    public func problem(with nodes: [Int32]) -> String? {
        guard !ranges.isEmpty else { return "no tree has been started" }
        let unknown = nodes.first { $0 < 0 || Int($0) >= ranges.count }
        return unknown.map { "unknown node \($0)" }
    }

    /// The histograms of `nodes` (children made by ``applySplits(_:)``), all their rows
    /// shared evenly by the threads.
    public func histograms(nodes: [Int32]) -> [[Int64]] {
        let builder = HistogramBuilder(threads: threads)
        let nodeRanges = nodes.map { ranges[Int($0)] }
        return gradients.pairs.withUnsafeBufferPointer { grads in
            order.withUnsafeBufferPointer { rows in
                builder.build(ranges: nodeRanges, order: rows, bins: bins, gradients: grads)
            }
        }
    }

    /// Whether ``finishTree(_:group:leaves:)`` needs the tree: this tree's row sample left
    /// rows out, and they get their margins by walking it.
    public var finishNeedsTree: Bool { !unsampled.isEmpty }

    /// Adds the finished tree to the margins of `group`: sampled rows by the leaf they were
    /// partitioned into (no traversal), the others by routing their bins through `tree`,
    /// which may be `nil` when ``finishNeedsTree`` is false.
    public mutating func finishTree(_ tree: RegressionTree?, group: Int, leaves: [LeafValue]) {
        precondition(tree != nil || !finishNeedsTree, "the rows left out of the sample need the tree")
        openHistograms = [:]
        let groups = objective.outputGroups
        let leafRanges = leaves.map { (ranges[Int($0.node)], $0.value) }
        margins.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            order.withUnsafeBufferPointer { order in
                Parallel.forEach(count: leafRanges.count, threads: threads) { k in
                    let (rows, value) = leafRanges[k]
                    for i in rows { out[Int(order[i]) * groups + group] += value }
                }
            }
        }
        if let tree, !unsampled.isEmpty { add(tree, group: group, rows: unsampled) }
    }

    /// Recomputes every margin from the base margin and `trees` (with their output
    /// groups), adding them one by one in order: the same additions as training made, so
    /// the margins are bit-identical to a shard that trained through those trees.
    public mutating func replay(_ trees: [RegressionTree], groups treeGroups: [Int]) {
        margins = [Float](repeating: baseMargin, count: rows * objective.outputGroups)
        let all = (0..<UInt32(rows)).map { $0 }
        for (tree, group) in zip(trees, treeGroups) { add(tree, group: group, rows: all) }
    }

    private mutating func add(_ tree: RegressionTree, group: Int, rows: [UInt32]) {
        let groups = objective.outputGroups, bins = self.bins
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
}

/// What a shard needs to start a tree: the output group, the fixed-point exponents agreed
/// for this tree, and the row-sampling draw.
public struct TreeStart: Sendable, Equatable, Codable {
    public var group: Int
    public var scale: GradientScale
    /// `subsample`: each row is kept with this probability; 1 keeps all.
    public var subsample: Double
    /// The round's sampling seed; row `n` of the dataset uses its `n`-th draw.
    public var seed: UInt64

    public init(group: Int, scale: GradientScale, subsample: Double, seed: UInt64) {
        self.group = group
        self.scale = scale
        self.subsample = subsample
        self.seed = seed
    }
}
