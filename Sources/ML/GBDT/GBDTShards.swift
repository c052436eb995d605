/// The training rows of a boosting job, wherever they live: one in-process
/// ``GBDTShard``, or shards held by workers. Each call covers every shard: row counts and
/// histograms are summed (exact integers), gradient maxima maximised.
public protocol GBDTShards {
    /// What can interrupt a call: `Never` in process; a lost worker over the network.
    associatedtype Failure: Error

    /// Rows in the whole dataset.
    var totalRows: Int { get }
    /// See ``GBDTShard/gradientMaxima(group:)``.
    mutating func gradientMaxima(group: Int) throws(Failure) -> (gradient: Float, hessian: Float)
    /// See ``GBDTShard/beginTree(_:)``; the root histogram over all shards.
    mutating func beginTree(_ start: TreeStart) throws(Failure) -> [Int64]
    /// See ``GBDTShard/applySplits(_:)``; counts over all shards.
    mutating func applySplits(_ splits: [SplitOrder]) throws(Failure) -> [(left: Int, right: Int)]
    /// See ``GBDTShard/histograms(nodes:)``; histograms over all shards.
    mutating func histograms(nodes: [Int32]) throws(Failure) -> [[Int64]]
    /// See ``GBDTShard/finishTree(_:group:leaves:)``.
    mutating func finishTree(_ tree: RegressionTree, group: Int, leaves: [LeafValue]) throws(Failure)

    /// ``applySplits(_:)`` (the last level's, unless empty) then ``finishTree(_:group:leaves:)`` in one exchange.
    mutating func applySplits(_ splits: [SplitOrder], thenFinish tree: RegressionTree, group: Int,
                              leaves: [LeafValue]) throws(Failure)
}

extension GBDTShards {
    public mutating func applySplits(_ splits: [SplitOrder], thenFinish tree: RegressionTree, group: Int,
                                     leaves: [LeafValue]) throws(Failure) {
        if !splits.isEmpty { _ = try applySplits(splits) }
        try finishTree(tree, group: group, leaves: leaves)
    }
}

extension GBDTShard: GBDTShards {
    public typealias Failure = Never
}
