import CKernels

/// Grows one tree depth-wise (XGBoost's default `grow_policy=depthwise`) on a bin matrix.
///
/// Per level: evaluate every open node's best split from its histogram, partition its
/// rows, build the histogram of the smaller child and get the larger one by subtraction
/// from the parent. Finally prune bottom-up splits whose loss change is below `gamma`.
/// The three statistics steps (histogram, split, partition) are exactly the parts the
/// distributed trainer spreads over workers.
public struct TreeGrower: Sendable {
    public let parameters: GBDTParameters
    public let bins: BinMatrix
    public let cuts: QuantileCuts
    public let threads: Int

    public init(parameters: GBDTParameters, bins: BinMatrix, cuts: QuantileCuts, threads: Int) {
        self.parameters = parameters
        self.bins = bins
        self.cuts = cuts
        self.threads = threads
    }

    private struct OpenNode {
        var id: Int32
        var range: Range<Int>
        var total: (g: Int64, h: Int64)
        var histogram: [Int64]
    }

    /// A grown tree and where its training rows ended up.
    public struct Grown: Sendable {
        public var tree: RegressionTree
        /// The rows, reordered so that each leaf's rows are contiguous.
        public var order: [UInt32]
        /// Each leaf's range in `order` and its output (eta applied).
        public var leaves: [(rows: Range<Int>, value: Float)]
    }

    /// Grows a tree on `rows` (sorted row indices; a subsample or all rows).
    public func grow(rows: [UInt32], gradients: QuantizedGradients, featureMask: [Bool]) -> Grown {
        let evaluator = SplitEvaluator(parameters: parameters)
        let builder = HistogramBuilder(threads: threads)
        let eta = Float(parameters.eta)
        var order = rows
        var scratch = [UInt32](repeating: 0, count: rows.count)
        var tree = RegressionTree()

        let rootHistogram = gradients.pairs.withUnsafeBufferPointer { grads in
            order.withUnsafeBufferPointer { builder.build(rows: $0, bins: bins, gradients: grads) }
        }
        let rootTotal = Self.total(of: rootHistogram, bins: bins)
        func leafFields(_ total: (g: Int64, h: Int64)) -> (weight: Float, value: Float, hessian: Float) {
            let real = gradients.real(total.g, total.h)
            let w = evaluator.weight(g: real.g, h: real.h)
            return (Float(w), Float(w) * eta, Float(real.h))
        }
        let root = leafFields(rootTotal)
        tree.appendLeaf(parent: -1, baseWeight: root.weight, value: root.value, sumHessian: root.hessian)
        var open = [OpenNode(id: 0, range: 0..<order.count, total: rootTotal, histogram: rootHistogram)]
        var ranges = [0..<order.count]

        for depth in 0..<parameters.maxDepth where !open.isEmpty {
            var candidates = [SplitCandidate?](repeating: nil, count: open.count)
            candidates.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                let nodes = open
                Parallel.forEach(count: nodes.count, threads: threads) { i in
                    out[i] = nodes[i].histogram.withUnsafeBufferPointer {
                        evaluator.best(histogram: $0, total: nodes[i].total, bins: bins, cuts: cuts,
                                       featureMask: featureMask, gradients: gradients)
                    }
                }
            }
            let splits = zip(open, candidates).compactMap { node, candidate in candidate.map { (node, $0) } }
            var leftCounts = [Int](repeating: 0, count: splits.count)
            // Nodes of a level own disjoint ranges of `order`, so they partition in parallel.
            order.withUnsafeMutableBufferPointer { rows in
                nonisolated(unsafe) let rows = rows
                scratch.withUnsafeMutableBufferPointer { spare in
                    nonisolated(unsafe) let spare = spare
                    leftCounts.withUnsafeMutableBufferPointer { counts in
                        nonisolated(unsafe) let counts = counts
                        // Large nodes split their rows over the threads one after another; the
                        // small ones are spread over the threads whole.
                        let large = splits.indices.filter { splits[$0].0.range.count >= Self.parallelPartitionRows }
                        let small = splits.indices.filter { splits[$0].0.range.count < Self.parallelPartitionRows }
                        for k in large {
                            counts[k] = Self.parallelPartition(rows, scratch: spare, range: splits[k].0.range,
                                                               split: splits[k].1, bins: bins, threads: threads)
                        }
                        Parallel.forEach(count: small.count, threads: threads) { i in
                            let k = small[i]
                            counts[k] = Self.partition(rows, scratch: spare, range: splits[k].0.range,
                                                       split: splits[k].1, bins: bins)
                        }
                    }
                }
            }
            var children: [(left: OpenNode, right: OpenNode, smallIsLeft: Bool)] = []
            for ((node, split), leftCount) in zip(splits, leftCounts) {
                let leftRange = node.range.lowerBound..<node.range.lowerBound + leftCount
                let rightRange = leftRange.upperBound..<node.range.upperBound
                let l = leafFields(split.left), r = leafFields(split.right)
                let leftID = tree.appendLeaf(parent: node.id, baseWeight: l.weight, value: l.value, sumHessian: l.hessian)
                let rightID = tree.appendLeaf(parent: node.id, baseWeight: r.weight, value: r.value, sumHessian: r.hessian)
                let n = Int(node.id)
                tree.left[n] = leftID
                tree.right[n] = rightID
                tree.feature[n] = Int32(split.feature)
                tree.threshold[n] = split.threshold
                tree.splitBin[n] = Int32(split.bin)
                tree.defaultLeft[n] = split.defaultLeft
                tree.value[n] = 0
                tree.lossChange[n] = Float(split.lossChange)
                ranges += [leftRange, rightRange]
                children.append((OpenNode(id: leftID, range: leftRange, total: split.left, histogram: []),
                                 OpenNode(id: rightID, range: rightRange, total: split.right, histogram: []),
                                 leftRange.count <= rightRange.count))
            }
            // Children at the maximum depth are final leaves: they need row ranges (for the
            // margins) but no histograms.
            guard depth + 1 < parameters.maxDepth else { break }
            // Histograms of the smaller children, all of the level's rows shared evenly by the threads.
            let smallRanges = children.map { $0.smallIsLeft ? $0.left.range : $0.right.range }
            let small = gradients.pairs.withUnsafeBufferPointer { grads in
                order.withUnsafeBufferPointer { rows in
                    builder.build(ranges: smallRanges, order: rows, bins: bins, gradients: grads)
                }
            }
            var next: [OpenNode] = []
            for ((pair, node), histogram) in zip(zip(children, splits.map(\.0)), small) {
                let large = HistogramBuilder.subtract(node.histogram, histogram)
                var left = pair.left, right = pair.right
                left.histogram = pair.smallIsLeft ? histogram : large
                right.histogram = pair.smallIsLeft ? large : histogram
                next.append(left)
                next.append(right)
            }
            open = next
        }
        let grownLeaves = (0..<tree.nodeCount).filter { tree.left[$0] < 0 }
        if parameters.gamma > 0 { Self.prune(&tree, gamma: Float(parameters.gamma), eta: eta) }
        // Each grown leaf's rows go to the first node on its root path that is a leaf after pruning.
        var leaves: [(rows: Range<Int>, value: Float)] = []
        for node in grownLeaves {
            var path = [node]
            while tree.parent[path[path.count - 1]] >= 0 { path.append(Int(tree.parent[path[path.count - 1]])) }
            let effective = path.reversed().first { tree.left[$0] < 0 }!
            leaves.append((ranges[node], tree.value[effective]))
        }
        if parameters.gamma > 0 { tree = Self.compacted(tree) }
        return Grown(tree: tree, order: order, leaves: leaves)
    }

    /// Sum of one feature's slots: every row lands in exactly one slot per feature.
    static func total(of histogram: [Int64], bins: BinMatrix) -> (g: Int64, h: Int64) {
        var g: Int64 = 0, h: Int64 = 0
        let slots = bins.features > 0 ? bins.binCounts[0] + 1 : 0
        for slot in 0..<slots {
            g &+= histogram[2 * slot]
            h &+= histogram[2 * slot + 1]
        }
        return (g, h)
    }

    /// Stable partition of `rows[range]` into rows going left, then rows going right,
    /// using `scratch[range]` as room for the right side. Returns the number going left.
    static func partition(_ rows: UnsafeMutableBufferPointer<UInt32>, scratch: UnsafeMutableBufferPointer<UInt32>,
                          range: Range<Int>, split: SplitCandidate, bins: BinMatrix) -> Int {
        let feature = split.feature
        let missingBin = bins.binCounts[feature]
        let splitBin = split.bin
        let defaultLeft = split.defaultLeft
        var leftEnd = range.lowerBound
        var rightEnd = range.lowerBound
        bins.columnBins.withUnsafeBufferPointer { columnBins in
            let column = columnBins.baseAddress! + feature * bins.rows
            for i in range {
                let row = rows[i]
                let b = Int(column[Int(row)])
                if b == missingBin ? defaultLeft : b <= splitBin {
                    rows[leftEnd] = row
                    leftEnd += 1
                } else {
                    scratch[rightEnd] = row
                    rightEnd += 1
                }
            }
        }
        let leftCount = leftEnd - range.lowerBound
        for j in 0..<(rightEnd - range.lowerBound) { rows[leftEnd + j] = scratch[range.lowerBound + j] }
        return leftCount
    }

    /// Nodes with at least this many rows are partitioned by several threads.
    static let parallelPartitionRows = 131_072

    /// The same partition for one large node, with its rows split over the threads: each
    /// block counts its left rows, then writes left and right rows straight to their final
    /// places in `scratch` (prefix sums of the counts), which is copied back. Stable.
    static func parallelPartition(_ rows: UnsafeMutableBufferPointer<UInt32>, scratch: UnsafeMutableBufferPointer<UInt32>,
                                  range: Range<Int>, split: SplitCandidate, bins: BinMatrix, threads: Int) -> Int {
        let blocks = max(1, min(threads, range.count / 65536))
        guard blocks > 1 else { return partition(rows, scratch: scratch, range: range, split: split, bins: bins) }
        let missingBin = bins.binCounts[split.feature], splitBin = split.bin, defaultLeft = split.defaultLeft
        let size = (range.count + blocks - 1) / blocks
        func block(_ b: Int) -> Range<Int> { (range.lowerBound + b * size)..<min(range.upperBound, range.lowerBound + (b + 1) * size) }
        return bins.columnBins.withUnsafeBufferPointer { columnBins -> Int in
            nonisolated(unsafe) let column = columnBins.baseAddress! + split.feature * bins.rows
            @inline(__always) func goesLeft(_ row: UInt32) -> Bool {
                let b = Int(column[Int(row)])
                return b == missingBin ? defaultLeft : b <= splitBin
            }
            var lefts = [Int](repeating: 0, count: blocks)
            lefts.withUnsafeMutableBufferPointer { counts in
                nonisolated(unsafe) let counts = counts
                Parallel.forEach(count: blocks, threads: blocks) { b in
                    var n = 0
                    for i in block(b) where goesLeft(rows[i]) { n += 1 }
                    counts[b] = n
                }
            }
            let totalLeft = lefts.reduce(0, +)
            var leftStart = [Int](), rightStart = [Int]()
            var l = range.lowerBound, r = range.lowerBound + totalLeft
            for b in 0..<blocks {
                leftStart.append(l)
                rightStart.append(r)
                l += lefts[b]
                r += block(b).count - lefts[b]
            }
            Parallel.forEach(count: blocks, threads: blocks) { b in
                var l = leftStart[b], r = rightStart[b]
                for i in block(b) {
                    let row = rows[i]
                    if goesLeft(row) { scratch[l] = row; l += 1 } else { scratch[r] = row; r += 1 }
                }
            }
            for i in range { rows[i] = scratch[i] }
            return totalLeft
        }
    }

    /// XGBoost's pruner: bottom-up, a split whose children are both leaves and whose loss
    /// change is below `gamma` becomes a leaf again. The removed children stay in the arrays,
    /// unreachable, until ``compacted(_:)``.
    static func prune(_ tree: inout RegressionTree, gamma: Float, eta: Float) {
        var changed = true
        while changed {
            changed = false
            for node in stride(from: tree.nodeCount - 1, through: 0, by: -1) {
                let l = Int(tree.left[node]), r = Int(tree.right[node])
                guard l >= 0, tree.left[l] < 0, tree.left[r] < 0, tree.lossChange[node] < gamma else { continue }
                tree.left[node] = -1
                tree.right[node] = -1
                tree.lossChange[node] = 0
                tree.value[node] = tree.baseWeight[node] * eta
                changed = true
            }
        }
    }

    /// The tree without unreachable nodes, renumbered breadth-first (root 0, children in pairs).
    static func compacted(_ tree: RegressionTree) -> RegressionTree {
        var result = RegressionTree()
        var queue: [(old: Int, parent: Int32)] = [(0, -1)]
        var head = 0
        while head < queue.count {
            let (old, parent) = queue[head]
            head += 1
            let id = result.appendLeaf(parent: parent, baseWeight: tree.baseWeight[old], value: tree.value[old],
                                       sumHessian: tree.sumHessian[old])
            if parent >= 0 {
                if result.left[Int(parent)] == -1 { result.left[Int(parent)] = id } else { result.right[Int(parent)] = id }
            }
            if tree.left[old] >= 0 {
                let n = Int(id)
                result.feature[n] = tree.feature[old]
                result.threshold[n] = tree.threshold[old]
                result.splitBin[n] = tree.splitBin[old]
                result.defaultLeft[n] = tree.defaultLeft[old]
                result.lossChange[n] = tree.lossChange[old]
                result.value[n] = 0
                queue.append((Int(tree.left[old]), id))
                queue.append((Int(tree.right[old]), id))
            }
        }
        return result
    }
}
