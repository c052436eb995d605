/// The training rows of a boosting job, wherever they live: one in-process
/// ``GBDTShard``, or shards held by workers. Each call covers every shard: histograms are
/// summed (exact integers), gradient maxima maximised.
public protocol GBDTShards {
    /// What can interrupt a call: `Never` in process; a lost worker over the network.
    associatedtype Failure: Error

    /// Rows in the whole dataset.
    var totalRows: Int { get }
    /// See ``GBDTShard/gradientMaxima(group:)``.
    mutating func gradientMaxima(group: Int) throws(Failure) -> (gradient: Float, hessian: Float)
    /// See ``GBDTShard/beginTree(_:)``; the root histogram over all shards.
    mutating func beginTree(_ start: TreeStart) throws(Failure) -> [Int64]
    /// See ``GBDTShard/split(_:)``; both children's histograms of each split over all shards.
    mutating func split(_ splits: [SplitOrder]) throws(Failure) -> [(left: [Int64], right: [Int64])]
    /// Ends a tree and, when `next` is given, begins the next one, in one exchange:
    /// partitions by the last level's `splits` (whose children are leaves; may be empty),
    /// adds the leaves' values to the margins of `group` (``GBDTShard/applySplits(_:)``,
    /// ``GBDTShard/finishTree(_:group:leaves:)``; `tree` may be `nil` without row
    /// sampling), then ``GBDTShard/beginTree(_:)`` with `next`, returning the root histogram
    /// over all shards.
    mutating func finishTree(_ tree: RegressionTree?, lastSplits splits: [SplitOrder], group: Int,
                             leaves: [LeafValue], thenBegin next: TreeStart?) throws(Failure) -> [Int64]?
    /// Grows, finishes and returns a whole tree where the rows are, when they are all in one
    /// place that can do so without the trainer (a job on one worker): the same tree and
    /// margins as the trainer's level-by-level growth (``GBDTShard/growTree(_:parameters:featureMask:threads:)``).
    /// `nil` when the trainer must grow it level by level; nothing has changed then.
    mutating func growTree(_ start: TreeStart, parameters: GBDTParameters, featureMask: [Bool]) throws(Failure) -> RegressionTree?
}

extension GBDTShards {
    /// Level by level: the trainer grows every tree.
    public mutating func growTree(_ start: TreeStart, parameters: GBDTParameters,
                                  featureMask: [Bool]) throws(Failure) -> RegressionTree? {
        nil
    }
}

extension GBDTShard: GBDTShards {
    public typealias Failure = Never

    public mutating func finishTree(_ tree: RegressionTree?, lastSplits splits: [SplitOrder], group: Int,
                                    leaves: [LeafValue], thenBegin next: TreeStart?) -> [Int64]? {
        if !splits.isEmpty { _ = applySplits(splits) }
        finishTree(tree, group: group, leaves: leaves)
        return next.map { beginTree($0) }
    }
}

extension GBDTShard {
    /// Grows one tree on this shard alone, exactly as ``GBDTTrainer`` grows it over shards
    /// (root histogram, one level at a time, pruning), and adds it to the margins of
    /// `start.group`. What a worker holding a job's only shard does for `TREE_GROW`.
    public mutating func growTree(_ start: TreeStart, parameters: GBDTParameters, featureMask: [Bool],
                                  threads: Int) -> RegressionTree {
        let root = beginTree(start)
        return GBDTTrainer.grow(&self, parameters: parameters, layout: HistogramLayout(binCounts: cuts.binCounts),
                                cuts: cuts, start: start, featureMask: featureMask, root: root, threads: threads,
                                next: nil).tree
    }
}
