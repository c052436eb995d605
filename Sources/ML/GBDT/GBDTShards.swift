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
    /// Partitions by the last level's `splits` (whose children are leaves; may be empty),
    /// then adds the finished tree to the margins: ``GBDTShard/applySplits(_:)`` and
    /// ``GBDTShard/finishTree(_:group:leaves:)`` on every shard, in one exchange.
    mutating func applySplits(_ splits: [SplitOrder], thenFinish tree: RegressionTree, group: Int,
                              leaves: [LeafValue]) throws(Failure)
}

extension GBDTShard: GBDTShards {
    public typealias Failure = Never

    public mutating func applySplits(_ splits: [SplitOrder], thenFinish tree: RegressionTree, group: Int,
                                     leaves: [LeafValue]) {
        if !splits.isEmpty { _ = applySplits(splits) }
        finishTree(tree, group: group, leaves: leaves)
    }
}
