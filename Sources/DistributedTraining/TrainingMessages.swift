import TrainyardML

/// The body of requests that name only a shard: SHARD_END, SKETCH_REQUEST, and the
/// replies SKETCH_REPLY, HISTOGRAM_REPLY, SPLIT_REPLY and JOB_ACCEPT (the acknowledgement
/// of requests without a result).
public struct ShardRef: Sendable, Codable, Equatable {
    public var shard: Int

    public init(shard: Int) { self.shard = shard }
}

/// BIN_CUTS: the agreed cuts (payload: `i64` cut counts per feature, then all cuts `f32`);
/// the worker bins its shard for boosting `objective` from `baseMargin`, and frees the raw values.
public struct BinCuts: Sendable, Codable, Equatable {
    public var shard: Int
    public var objective: Objective
    public var baseMargin: Float

    public init(shard: Int, objective: Objective, baseMargin: Float) {
        self.shard = shard
        self.objective = objective
        self.baseMargin = baseMargin
    }
}

/// CHECKPOINT: reset the shard's margins to the base margin plus `trees` (a resumed or
/// recovered job continues from here).
public struct CheckpointReplay: Sendable, Codable, Equatable {
    public var shard: Int
    public var trees: [RegressionTree]
    public var treeGroups: [Int]

    public init(shard: Int, trees: [RegressionTree], treeGroups: [Int]) {
        self.shard = shard
        self.trees = trees
        self.treeGroups = treeGroups
    }
}

/// GRADIENT_REQUEST. Trees (`group` set): compute the group's gradients and reply their
/// maxima. Linear models (`objective` set, payload `f64` parameters `w…, bias`): reply the
/// loss and gradient sums as `f64[1 + columns + 1]`.
public struct GradientRequest: Sendable, Codable, Equatable {
    public var shard: Int
    public var group: Int?
    public var objective: Objective?

    public init(shard: Int, group: Int? = nil, objective: Objective? = nil) {
        self.shard = shard
        self.group = group
        self.objective = objective
    }
}

/// GRADIENT_REPLY for trees: the largest |g| and h of the shard.
public struct GradientMaxima: Sendable, Codable, Equatable {
    public var shard: Int
    public var gradient: Float?
    public var hessian: Float?

    public init(shard: Int, gradient: Float? = nil, hessian: Float? = nil) {
        self.shard = shard
        self.gradient = gradient
        self.hessian = hessian
    }
}

/// HISTOGRAM_REQUEST: with `start`, begin a tree and reply the root histogram; with
/// `nodes`, reply those nodes' histograms. Reply payload: `i64`, histograms back to back.
public struct HistogramRequest: Sendable, Codable, Equatable {
    public var shard: Int
    public var start: TreeStart?
    public var nodes: [Int32]?

    public init(shard: Int, start: TreeStart? = nil, nodes: [Int32]? = nil) {
        self.shard = shard
        self.start = start
        self.nodes = nodes
    }
}

/// SPLIT_DECISION: partition by `splits`; SPLIT_REPLY's first payload frame is `i64`
/// `(left, right)` row counts per split. With `histograms`, the worker also builds the
/// children's histograms (``GBDTShard/split(_:)``) and the second frame is `i64`, the left
/// children's histograms back to back (the coordinator subtracts them from the parents).
public struct SplitDecision: Sendable, Codable, Equatable {
    public var shard: Int
    public var splits: [SplitOrder]
    public var histograms: Bool?

    public init(shard: Int, splits: [SplitOrder], histograms: Bool? = nil) {
        self.shard = shard
        self.splits = splits
        self.histograms = histograms
    }
}

/// TREE_FINISH: add the finished tree to the margins of `group`: each grown leaf's value to
/// its rows, and, for rows the tree's sample left out, the value `tree` routes them to.
/// `tree` may be omitted when the sample kept every row (`subsample` 1).
public struct TreeFinish: Sendable, Codable, Equatable {
    public var shard: Int
    public var group: Int
    public var tree: RegressionTree?
    public var leaves: [LeafValue]

    public init(shard: Int, group: Int, tree: RegressionTree?, leaves: [LeafValue]) {
        self.shard = shard
        self.group = group
        self.tree = tree
        self.leaves = leaves
    }
}

/// TREE_GROW, to the worker holding a job's only shard: grow a whole tree on the shard —
/// root histogram, every level's split search and partition, pruning — exactly as the
/// coordinator would over several shards, and add it to the margins of `start.group`.
/// `featureMask` (one flag per feature, omitted when every feature is used) is the tree's
/// `colsample_bytree` sample. Reply: TREE_GROWN.
public struct TreeGrow: Sendable, Codable, Equatable {
    public var shard: Int
    public var start: TreeStart
    public var parameters: GBDTParameters
    public var featureMask: [Bool]?

    public init(shard: Int, start: TreeStart, parameters: GBDTParameters, featureMask: [Bool]?) {
        self.shard = shard
        self.start = start
        self.parameters = parameters
        self.featureMask = featureMask
    }
}

/// TREE_GROWN: the tree a TREE_GROW grew (pruned and renumbered, as in the model).
public struct TreeGrown: Sendable, Codable, Equatable {
    public var shard: Int
    public var tree: RegressionTree

    public init(shard: Int, tree: RegressionTree) {
        self.shard = shard
        self.tree = tree
    }
}

/// JOB_ABORT: drop everything held for the job named in the header.
public struct JobAbort: Sendable, Codable, Equatable {
    public var reason: String

    public init(reason: String) { self.reason = reason }
}
