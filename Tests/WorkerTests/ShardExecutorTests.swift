import DistributedTraining
import Testing
import TrainyardML
import TrainyardProtocol
@testable import Worker

/// The worker's training requests, driven by hand: a shard is shipped and binned, a tree is
/// started and split, and requests that do not fit the shard's tree are refused with an
/// ERROR naming the problem instead of crashing the worker.
struct ShardExecutorTests {
    let job: UInt64 = 7
    let features = 3

    /// The shard's 64 rows: values, and labels that follow feature 0 (with some noise).
    var data: (rows: Int, values: [Float], labels: [Float]) {
        let rows = 64
        let values = (0..<rows * features).map { Float(($0 * 37) % 11) }
        let labels = (0..<rows).map { Float(values[$0 * features] > 5 ? 1 : 0) == 1 || $0 % 9 == 0 ? Float(1) : 0 }
        return (rows, values, labels)
    }

    /// An executor holding shard 0 of `job`: 64 rows, binned and with a tree started.
    func boostingExecutor(subsample: Double = 1) throws -> (ShardExecutor, [Int64]) {
        let (rows, values, labels) = data
        let bytes = ShardBytes.dense(DenseMatrix(rows: rows, columns: features, values: values), labels: labels, rows: 0..<rows)
        let descriptor = ShardDescriptor(index: 0, firstRow: 0, rows: rows, totalRows: rows, columns: features, layout: .denseF32)
        let executor = ShardExecutor(threads: 1)
        let sha = bytes.sha256()
        try expectReply(executor, .encoding(.shardBegin, ShardBegin(shard: descriptor, bytes: bytes.count, chunks: 1,
                                                                     chunkBytes: bytes.count, sha256: sha)), .shardAck)
        try expectReply(executor, .encoding(.shardChunk, ShardChunk(shard: 0, chunk: 0, sha256: sha), payload: [.uint8(bytes.bytes)]),
                        .shardAck)
        try expectReply(executor, .encoding(.shardEnd, ShardRef(shard: 0)), .shardAck)
        let cuts: [[Float]] = Array(repeating: [2, 5, 8], count: features)
        try expectReply(executor, .encoding(.binCuts, BinCuts(shard: 0, objective: .binaryLogistic, baseMargin: 0),
                                            payload: FeatureArrays.payload(cuts)), .jobAccept)
        let start = TreeStart(group: 0, scale: GradientScale(maxGradient: 1, maxHessian: 0.25), subsample: subsample, seed: 1)
        let root = try expectReply(executor, .encoding(.histogramRequest, HistogramRequest(shard: 0, start: start)), .histogramReply)
        return (executor, root.payload[0].values(as: Int64.self))
    }

    @discardableResult
    func expectReply(_ executor: ShardExecutor, _ message: Message, _ type: MessageType,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> Message {
        let reply = try #require(executor.handle(Envelope(message, jobID: job)), sourceLocation: sourceLocation)
        #expect(reply.type == type, "\(message.type) got \(reply.type): \(reply)",
                sourceLocation: sourceLocation)
        return reply
    }

    func refusal(_ executor: ShardExecutor, _ message: Message) throws -> String {
        guard case .error(let error) = try #require(executor.handle(Envelope(message, jobID: job))) else {
            Issue.record("\(message.type) was not refused")
            return ""
        }
        return error.message
    }

    @Test func splitRepliesCountsAndLeftHistogramsThatAddUpToTheParent() throws {
        let (executor, root) = try boostingExecutor()
        let split = SplitOrder(node: 0, feature: 1, bin: 1, defaultLeft: true, left: 1, right: 2)
        let reply = try expectReply(executor, .encoding(.splitDecision, SplitDecision(shard: 0, splits: [split], histograms: true)),
                                    .splitReply)
        let counts = reply.payload[0].values(as: Int64.self)
        #expect(counts.count == 2 && counts[0] + counts[1] == 64 && counts[0] > 0 && counts[1] > 0)
        let left = reply.payload[1].values(as: Int64.self)
        #expect(left.count == root.count)
        // The left child's rows are exactly those with a bin ≤ 1 of feature 1: the slots of
        // feature 1 above bin 1 are empty in its histogram and equal to the parent's in the rest.
        let layout = HistogramLayout(binCounts: Array(repeating: 3, count: features))
        for bin in 0...3 {
            let slot = 2 * (layout.offsets[1] + bin)
            #expect(left[slot + 1] == (bin <= 1 ? root[slot + 1] : 0), "bin \(bin)")
        }
        // The right child is built by the next level's request; left + right = parent.
        let right = try expectReply(executor, .encoding(.histogramRequest, HistogramRequest(shard: 0, nodes: [2])), .histogramReply)
        #expect(zip(left, right.payload[0].values(as: Int64.self)).map { $0 + $1 } == root)
    }

    @Test func requestsThatDoNotFitTheTreeAreRefusedAndTheShardSurvives() throws {
        let (executor, _) = try boostingExecutor()
        func decision(_ split: SplitOrder, histograms: Bool = true) -> Message {
            .encoding(.splitDecision, SplitDecision(shard: 0, splits: [split], histograms: histograms))
        }
        #expect(try refusal(executor, decision(SplitOrder(node: 9, feature: 0, bin: 1, defaultLeft: true, left: 1, right: 2)))
            .contains("unknown node 9"))
        #expect(try refusal(executor, decision(SplitOrder(node: 0, feature: 3, bin: 1, defaultLeft: true, left: 1, right: 2)))
            .contains("feature 3"))
        #expect(try refusal(executor, decision(SplitOrder(node: 0, feature: 0, bin: 1, defaultLeft: true, left: 0, right: 2)))
            .contains("invalid child 0"))
        #expect(try refusal(executor, .encoding(.splitDecision, SplitDecision(shard: 0, splits: [
            SplitOrder(node: 0, feature: 0, bin: 1, defaultLeft: true, left: 1, right: 2),
            SplitOrder(node: 0, feature: 1, bin: 1, defaultLeft: true, left: 3, right: 4),
        ], histograms: false))).contains("twice"))
        #expect(try refusal(executor, .encoding(.histogramRequest, HistogramRequest(shard: 0, nodes: [-1]))).contains("unknown node"))
        var tree = RegressionTree()
        tree.left = [0]
        tree.right = [0]
        tree.parent = [-1]
        tree.feature = [0]
        tree.threshold = [0]
        tree.splitBin = [0]
        tree.defaultLeft = [false]
        tree.value = [0]
        tree.baseWeight = [0]
        tree.lossChange = [0]
        tree.sumHessian = [0]
        #expect(try refusal(executor, .encoding(.treeFinish, TreeFinish(shard: 0, group: 0, tree: tree, leaves: [])))
            .contains("children"))
        #expect(try refusal(executor, .encoding(.treeFinish, TreeFinish(shard: 0, group: 1, tree: tree, leaves: [])))
            .contains("output group 1"))
        #expect(try refusal(executor, .encoding(.gradientRequest, GradientRequest(shard: 0, group: 5))).contains("output group 5"))
        // Nothing was changed by the refused requests: a valid split still works.
        let split = SplitOrder(node: 0, feature: 1, bin: 1, defaultLeft: true, left: 1, right: 2)
        try expectReply(executor, decision(split), .splitReply)
        // Node 0 is split now: only its children are open.
        #expect(try refusal(executor, decision(SplitOrder(node: 0, feature: 0, bin: 1, defaultLeft: true, left: 3, right: 4)))
            .contains("not open"))
        try expectReply(executor, decision(SplitOrder(node: 1, feature: 0, bin: 1, defaultLeft: true, left: 3, right: 4)), .splitReply)
    }

    @Test func aChunkRefusedForItsChecksumCanBeSentAgain() throws {
        let rows = 8
        let values = (0..<rows * features).map { Float($0) }
        let bytes = ShardBytes.dense(DenseMatrix(rows: rows, columns: features, values: values),
                                     labels: (0..<rows).map { Float($0 % 2) }, rows: 0..<rows)
        let descriptor = ShardDescriptor(index: 0, firstRow: 0, rows: rows, totalRows: rows, columns: features, layout: .denseF32)
        let executor = ShardExecutor(threads: 1)
        try expectReply(executor, .encoding(.shardBegin, ShardBegin(shard: descriptor, bytes: bytes.count, chunks: 1,
                                                                     chunkBytes: bytes.count, sha256: bytes.sha256())), .shardAck)
        let chunk = ShardChunk(shard: 0, chunk: 0, sha256: bytes.sha256())
        var corrupted = bytes.bytes
        corrupted[3] ^= 0x40
        let refused = try #require(executor.handle(Envelope(.encoding(.shardChunk, chunk, payload: [.uint8(corrupted)]), jobID: job)))
        guard case .error(let error) = refused else {
            Issue.record("a corrupted chunk was accepted: \(refused)")
            return
        }
        #expect(error.code == .checksumMismatch)
        // Go-back-N: the same chunk, intact, is accepted and the shard completes.
        try expectReply(executor, .encoding(.shardChunk, chunk, payload: [.uint8(bytes.bytes)]), .shardAck)
        try expectReply(executor, .encoding(.shardEnd, ShardRef(shard: 0)), .shardAck)
    }

    @Test func aTreeWhoseSampleLeftRowsOutCannotFinishWithoutTheTree() throws {
        let (sampled, _) = try boostingExecutor(subsample: 0.5)
        let finish = Message.encoding(.treeFinish, TreeFinish(shard: 0, group: 0, tree: nil, leaves: [LeafValue(node: 0, value: 0.5)]))
        #expect(try refusal(sampled, finish).contains("need the tree"))
        let (full, _) = try boostingExecutor()
        try expectReply(full, finish, .jobAccept)
    }

    /// TREE_GROW grows the tree a local shard of the same rows grows, and leaves the same
    /// margins behind (the next tree is the same too); requests that do not fit are refused.
    @Test func treeGrowGrowsTheLocalTreeAndRefusesWhatDoesNotFit() throws {
        let (executor, _) = try boostingExecutor()
        let (rows, values, labels) = data
        var local = GBDTShard(features: DenseMatrix(rows: rows, columns: features, values: values), labels: labels,
                              cuts: QuantileCuts(cuts: Array(repeating: [2, 5, 8], count: features)),
                              objective: .binaryLogistic, baseMargin: 0, threads: 1)
        var p = GBDTParameters()
        p.maxDepth = 3
        p.minChildWeight = 0.1
        func grow(seed: UInt64, mask: [Bool]?) -> Message {
            let start = TreeStart(group: 0, scale: GradientScale(maxGradient: 1, maxHessian: 0.25), subsample: 1, seed: seed)
            return .encoding(.treeGrow, TreeGrow(shard: 0, start: start, parameters: p, featureMask: mask))
        }
        #expect(try refusal(executor, grow(seed: 1, mask: [true])).contains("1 flags for 3 features"))
        let start = TreeStart(group: 1, scale: GradientScale(maxGradient: 1, maxHessian: 0.25), subsample: 1, seed: 1)
        #expect(try refusal(executor, .encoding(.treeGrow, TreeGrow(shard: 0, start: start, parameters: p, featureMask: nil)))
            .contains("output group 1"))
        var bad = p
        bad.maxDepth = 0
        let first = TreeStart(group: 0, scale: GradientScale(maxGradient: 1, maxHessian: 0.25), subsample: 1, seed: 1)
        #expect(try refusal(executor, .encoding(.treeGrow, TreeGrow(shard: 0, start: first, parameters: bad, featureMask: nil)))
            .contains("max_depth"))
        for (seed, mask) in [(UInt64(1), nil), (2, [true, false, true])] as [(UInt64, [Bool]?)] {
            let reply = try expectReply(executor, grow(seed: seed, mask: mask), .treeGrown)
            let grown = try reply.decodeBody(TreeGrown.self).tree
            let expected = local.growTree(TreeStart(group: 0, scale: GradientScale(maxGradient: 1, maxHessian: 0.25), subsample: 1,
                                                    seed: seed),
                                          parameters: p, featureMask: mask ?? [true, true, true], threads: 1)
            #expect(grown.nodeCount > 1)
            #expect(grown == expected)
        }
    }
}
