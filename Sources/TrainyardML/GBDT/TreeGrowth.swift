/// The decisions of growing one tree depth-wise (XGBoost's `grow_policy=depthwise`),
/// apart from where the rows live.
///
/// Per level: find every open node's best split from its histogram, have the rows
/// partitioned (``SplitOrder``) and receive both children's histograms (each shard builds
/// its smaller child and subtracts it from the parent for the sibling). At the end, prune bottom-up the
/// splits whose loss change is below `gamma`. The rows and their histograms live in one
/// or more ``GBDTShard``s — in this process, or on workers — and histograms are exact
/// integer sums, so the tree does not depend on how the rows are split.
public struct TreeGrowth: Sendable {
    public let parameters: GBDTParameters
    public let layout: HistogramLayout
    public let cuts: QuantileCuts
    public let scale: GradientScale
    public let featureMask: [Bool]
    public let threads: Int
    public private(set) var tree = RegressionTree()
    /// Nodes whose splits are evaluated next, with their histograms.
    private var open: [OpenNode]
    /// Children of the last splits, waiting for histograms.
    private var pending: [(left: OpenNode, right: OpenNode)] = []
    private var depth = 0
    private let evaluator: SplitEvaluator

    private struct OpenNode: Sendable {
        var id: Int32
        var total: (g: Int64, h: Int64)
        var histogram: [Int64]
    }

    /// Starts a tree from the root's histogram (summed over all shards).
    public init(parameters: GBDTParameters, layout: HistogramLayout, cuts: QuantileCuts, scale: GradientScale,
                featureMask: [Bool], rootHistogram: [Int64], threads: Int) {
        self.parameters = parameters
        self.layout = layout
        self.cuts = cuts
        self.scale = scale
        self.featureMask = featureMask
        self.threads = threads
        evaluator = SplitEvaluator(parameters: parameters)
        let total = layout.total(of: rootHistogram)
        open = [OpenNode(id: 0, total: total, histogram: rootHistogram)]
        let root = leafFields(total)
        tree.appendLeaf(parent: -1, baseWeight: root.weight, value: root.value, sumHessian: root.hessian)
    }

    private func leafFields(_ total: (g: Int64, h: Int64)) -> (weight: Float, value: Float, hessian: Float) {
        let real = scale.real(total.g, total.h)
        let w = evaluator.weight(g: real.g, h: real.h)
        return (Float(w), Float(w) * Float(parameters.eta), Float(real.h))
    }

    /// Evaluates the open nodes and returns the splits the shards must apply, in node
    /// order; empty when the tree is complete.
    public mutating func nextSplits() -> [SplitOrder] {
        guard depth < parameters.maxDepth, !open.isEmpty else { return [] }
        var candidates = [SplitCandidate?](repeating: nil, count: open.count)
        candidates.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            let nodes = open, evaluator = self.evaluator, layout = self.layout, cuts = self.cuts
            let featureMask = self.featureMask, scale = self.scale
            Parallel.forEach(count: nodes.count, threads: threads) { i in
                out[i] = nodes[i].histogram.withUnsafeBufferPointer {
                    evaluator.best(histogram: $0, total: nodes[i].total, layout: layout, cuts: cuts,
                                   featureMask: featureMask, scale: scale)
                }
            }
        }
        var orders: [SplitOrder] = []
        pending = []
        for (node, candidate) in zip(open, candidates) {
            guard let split = candidate else { continue }
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
            orders.append(SplitOrder(node: node.id, feature: Int32(split.feature), bin: Int32(split.bin),
                                     defaultLeft: split.defaultLeft, left: leftID, right: rightID))
            pending.append((OpenNode(id: leftID, total: split.left, histogram: []),
                            OpenNode(id: rightID, total: split.right, histogram: [])))
        }
        depth += 1
        open = []
        // Children at the maximum depth are final leaves: the shards partition their rows
        // (for the margins) but build no histograms.
        if !childrenNeedHistograms { pending = [] }
        return orders
    }

    /// Whether the children of the last splits are split further (so need histograms).
    public var childrenNeedHistograms: Bool { depth < parameters.maxDepth && !pending.isEmpty }

    /// Receives both children's histograms of each split of the last ``nextSplits()``, in
    /// the same order, and opens the next level.
    public mutating func receive(children: [(left: [Int64], right: [Int64])]) {
        precondition(children.count == pending.count, "one pair of histograms per split")
        var next: [OpenNode] = []
        for (pair, histograms) in zip(pending, children) {
            var left = pair.left, right = pair.right
            left.histogram = histograms.left
            right.histogram = histograms.right
            next.append(left)
            next.append(right)
        }
        pending = []
        open = next
    }

    /// The finished tree (pruned by `gamma`, then renumbered) and the output of every grown
    /// leaf — the leaves the shards' rows were partitioned into — for the margins.
    public func finish() -> (tree: RegressionTree, leaves: [LeafValue]) {
        var tree = self.tree
        let eta = Float(parameters.eta)
        let grownLeaves = (0..<tree.nodeCount).filter { tree.left[$0] < 0 }
        if parameters.gamma > 0 { Self.prune(&tree, gamma: Float(parameters.gamma), eta: eta) }
        // Each grown leaf's rows get the value of the first node on its root path that is a leaf after pruning.
        var leaves: [LeafValue] = []
        for node in grownLeaves {
            var path = [node]
            while tree.parent[path[path.count - 1]] >= 0 { path.append(Int(tree.parent[path[path.count - 1]])) }
            let effective = path.reversed().first { tree.left[$0] < 0 }!
            leaves.append(LeafValue(node: Int32(node), value: tree.value[effective]))
        }
        if parameters.gamma > 0 { tree = Self.compacted(tree) }
        return (tree, leaves)
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

/// One split for the shards to apply: rows of `node` go to `left` when their bin of
/// `feature` is `<= bin` (missing values: `defaultLeft`), else to `right`.
public struct SplitOrder: Sendable, Equatable, Codable {
    public var node: Int32
    public var feature: Int32
    public var bin: Int32
    public var defaultLeft: Bool
    public var left: Int32
    public var right: Int32

    public init(node: Int32, feature: Int32, bin: Int32, defaultLeft: Bool, left: Int32, right: Int32) {
        self.node = node
        self.feature = feature
        self.bin = bin
        self.defaultLeft = defaultLeft
        self.left = left
        self.right = right
    }
}

/// The output (eta applied) that the rows of grown leaf `node` add to their margin.
public struct LeafValue: Sendable, Equatable, Codable {
    public var node: Int32
    public var value: Float

    public init(node: Int32, value: Float) {
        self.node = node
        self.value = value
    }
}
