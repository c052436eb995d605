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

        for _ in 0..<parameters.maxDepth where !open.isEmpty {
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
                        Parallel.forEach(count: splits.count, threads: threads) { k in
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
            // Histograms of the smaller children: across nodes in parallel when there are
            // several, else across the rows of the single node.
            let smallRanges = children.map { $0.smallIsLeft ? $0.left.range : $0.right.range }
            var small = [[Int64]](repeating: [], count: children.count)
            gradients.pairs.withUnsafeBufferPointer { grads in
                order.withUnsafeBufferPointer { rows in
                    if children.count == 1 {
                        small[0] = builder.build(rows: UnsafeBufferPointer(rebasing: rows[smallRanges[0]]), bins: bins, gradients: grads)
                    } else {
                        let single = HistogramBuilder(threads: 1)
                        small.withUnsafeMutableBufferPointer { out in
                            nonisolated(unsafe) let out = out
                            Parallel.forEach(count: children.count, threads: threads) { k in
                                out[k] = single.build(rows: UnsafeBufferPointer(rebasing: rows[smallRanges[k]]), bins: bins, gradients: grads)
                            }
                        }
                    }
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
            let ahead = HistogramBuilder.prefetchDistance
            for i in range {
                if i + ahead < range.upperBound { ty_prefetch(column + Int(rows[i + ahead])) }
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
