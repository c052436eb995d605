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
