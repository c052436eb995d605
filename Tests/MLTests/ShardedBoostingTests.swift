import Testing
@testable import TrainyardML

/// Several in-process shards behind one ``GBDTShards``: what the coordinator does with
/// workers, minus the network. Counts and histograms are summed shard by shard.
struct SplitShards: GBDTShards {
    var shards: [GBDTShard]
    let totalRows: Int

    init(features: DenseMatrix, labels: [Float], parts: Int, cuts: QuantileCuts, objective: Objective, baseMargin: Float) {
        let rows = features.rows
        totalRows = rows
        shards = (0..<parts).map { k in
            let range = (k * rows / parts)..<((k + 1) * rows / parts)
            let values = Array(features.values[(range.lowerBound * features.columns)..<(range.upperBound * features.columns)])
            return GBDTShard(features: DenseMatrix(rows: range.count, columns: features.columns, values: values),
                             labels: Array(labels[range]), cuts: cuts, objective: objective, baseMargin: baseMargin,
                             firstRow: range.lowerBound, totalRows: rows, threads: 1 + k % 2)
        }
    }

    mutating func gradientMaxima(group: Int) -> (gradient: Float, hessian: Float) {
        let all = shards.indices.map { shards[$0].gradientMaxima(group: group) }
        return (all.map(\.gradient).max()!, all.map(\.hessian).max()!)
    }

    mutating func beginTree(_ start: TreeStart) -> [Int64] {
        Self.sum(shards.indices.map { shards[$0].beginTree(start) })
    }

    mutating func split(_ splits: [SplitOrder]) -> [(left: [Int64], right: [Int64])] {
        let all = shards.indices.map { shards[$0].split(splits) }
        return splits.indices.map { i in (Self.sum(all.map { $0[i].left }), Self.sum(all.map { $0[i].right })) }
    }

    mutating func finishTree(_ tree: RegressionTree?, lastSplits splits: [SplitOrder], group: Int, leaves: [LeafValue],
                             thenBegin next: TreeStart?) -> [Int64]? {
        let roots = shards.indices.map { shards[$0].finishTree(tree, lastSplits: splits, group: group, leaves: leaves, thenBegin: next) }
        return next.map { _ in Self.sum(roots.map { $0! }) }
    }

    static func sum(_ histograms: [[Int64]]) -> [Int64] {
        histograms.dropFirst().reduce(histograms[0]) { zip($0, $1).map { $0 &+ $1 } }
    }
}

struct ShardedBoostingTests {
    func train(_ p: GBDTParameters, _ x: DenseMatrix, _ y: [Float], parts: Int?,
               resumeAfter: Int? = nil) throws -> GBDTModel {
        let trainer = try GBDTTrainer(parameters: p)
        guard let parts else { return try trainer.train(x, labels: y).model }
        let baseScore = p.baseScore ?? p.objective.defaultBaseScore(labels: y)
        let baseMargin = p.objective.margin(fromBaseScore: baseScore)
        // Cuts from per-shard samples merged, as workers send them.
        let samples = (0..<parts).map { k -> [[Float]] in
            let range = (k * x.rows / parts)..<((k + 1) * x.rows / parts)
            let values = Array(x.values[(range.lowerBound * x.columns)..<(range.upperBound * x.columns)])
            return QuantileCuts.sample(DenseMatrix(rows: range.count, columns: x.columns, values: values),
                                       firstRow: range.lowerBound, totalRows: x.rows, threads: 1)
        }
        let cuts = QuantileCuts.fromSamples(samples, maxBin: p.maxBin, threads: 1)
        var shards = SplitShards(features: x, labels: y, parts: parts, cuts: cuts, objective: p.objective, baseMargin: baseMargin)
        var checkpoints: [GBDTTrainer.Checkpoint] = []
        let full = trainer.boost(&shards, cuts: cuts, baseScore: baseScore, roundCompleted: { checkpoints.append($0) })
        guard let resumeAfter else { return full.model }
        // A restart: fresh shards replay the checkpoint's trees and boosting continues.
        let checkpoint = checkpoints[resumeAfter - 1]
        var fresh = SplitShards(features: x, labels: y, parts: parts, cuts: cuts, objective: p.objective, baseMargin: baseMargin)
        for i in fresh.shards.indices { fresh.shards[i].replay(checkpoint.trees, groups: checkpoint.treeGroups) }
        return trainer.boost(&fresh, cuts: cuts, baseScore: baseScore, resume: checkpoint).model
    }

    @Test(arguments: [2, 3, 4])
    func shardsGiveTheLocalModel(parts: Int) throws {
        let (x, y) = syntheticClassification(rows: 30_000, seed: 21)
        var p = GBDTParameters()
        p.trees = 8
        p.gamma = 0.3
        #expect(try train(p, x, y, parts: parts) == train(p, x, y, parts: nil))
    }

    @Test func sampledRowsAndFeaturesAndRegressionToo() throws {
        let (x, y) = syntheticClassification(rows: 20_000, seed: 22)
        var p = GBDTParameters()
        p.trees = 6
        p.subsample = 0.7
        p.colsampleByTree = 0.5
        p.objective = .squaredError
        let targets = y.enumerated().map { Float($0.offset % 7) + $0.element }
        #expect(try train(p, x, targets, parts: 3) == train(p, x, targets, parts: nil))
    }

    @Test func multiclassShards() throws {
        let (x, y) = syntheticClassification(rows: 9_000, seed: 23)
        var p = GBDTParameters()
        p.trees = 4
        p.objective = .softprob(numClass: 3)
        let labels = y.enumerated().map { $0.element + Float($0.offset % 2) }
        #expect(try train(p, x, labels, parts: 2) == train(p, x, labels, parts: nil))
    }

    @Test func resumingFromACheckpointGivesTheSameModel() throws {
        let (x, y) = syntheticClassification(rows: 10_000, seed: 24)
        var p = GBDTParameters()
        p.trees = 7
        p.subsample = 0.8
        #expect(try train(p, x, y, parts: 2, resumeAfter: 3) == train(p, x, y, parts: nil))
    }
}

/// One in-process shard that grows whole trees, as a job's only worker does for
/// `TREE_GROW`, until `wholeTreesLeft` runs out; then the trainer grows the rest level by
/// level (a worker that does not implement `TREE_GROW`).
struct WholeTreeShard: GBDTShards {
    var shard: GBDTShard
    var wholeTreesLeft: Int
    var wholeTreesGrown = 0
    var totalRows: Int { shard.totalRows }

    mutating func growTree(_ start: TreeStart, parameters: GBDTParameters, featureMask: [Bool]) -> RegressionTree? {
        guard wholeTreesLeft > 0 else { return nil }
        wholeTreesLeft -= 1
        wholeTreesGrown += 1
        return shard.growTree(start, parameters: parameters, featureMask: featureMask, threads: 2)
    }

    mutating func gradientMaxima(group: Int) -> (gradient: Float, hessian: Float) { shard.gradientMaxima(group: group) }
    mutating func beginTree(_ start: TreeStart) -> [Int64] { shard.beginTree(start) }
    mutating func split(_ splits: [SplitOrder]) -> [(left: [Int64], right: [Int64])] { shard.split(splits) }
    mutating func finishTree(_ tree: RegressionTree?, lastSplits splits: [SplitOrder], group: Int, leaves: [LeafValue],
                             thenBegin next: TreeStart?) -> [Int64]? {
        shard.finishTree(tree, lastSplits: splits, group: group, leaves: leaves, thenBegin: next)
    }
}

struct WholeTreeBoostingTests {
    /// The model of boosting over one ``WholeTreeShard`` that grows `wholeTrees` trees itself.
    func train(_ p: GBDTParameters, _ x: DenseMatrix, _ y: [Float], wholeTrees: Int) throws -> (GBDTModel, grown: Int) {
        let trainer = try GBDTTrainer(parameters: p)
        let baseScore = p.baseScore ?? p.objective.defaultBaseScore(labels: y)
        let cuts = QuantileCuts.compute(x, maxBin: p.maxBin, threads: 1)
        let shard = GBDTShard(features: x, labels: y, cuts: cuts, objective: p.objective,
                              baseMargin: p.objective.margin(fromBaseScore: baseScore), threads: 1)
        var whole = WholeTreeShard(shard: shard, wholeTreesLeft: wholeTrees)
        let model = trainer.boost(&whole, cuts: cuts, baseScore: baseScore).model
        return (model, whole.wholeTreesGrown)
    }

    @Test func wholeTreesOnTheShardGiveTheLocalModel() throws {
        let (x, y) = syntheticClassification(rows: 20_000, seed: 31)
        var p = GBDTParameters()
        p.trees = 8
        p.gamma = 0.3
        let local = try GBDTTrainer(parameters: p).train(x, labels: y).model
        let (model, grown) = try train(p, x, y, wholeTrees: .max)
        #expect(grown == 8)
        #expect(model == local)
    }

    @Test func sampledRegressionAndMulticlassWholeTreesToo() throws {
        let (x, y) = syntheticClassification(rows: 12_000, seed: 32)
        var p = GBDTParameters()
        p.trees = 5
        p.subsample = 0.7
        p.colsampleByTree = 0.5
        p.objective = .squaredError
        let targets = y.enumerated().map { Float($0.offset % 7) + $0.element }
        let (regression, grown) = try train(p, x, targets, wholeTrees: .max)
        #expect(grown == 5)
        #expect(regression == (try GBDTTrainer(parameters: p).train(x, labels: targets).model))

        var q = GBDTParameters()
        q.trees = 3
        q.objective = .softprob(numClass: 3)
        let labels = y.enumerated().map { $0.element + Float($0.offset % 2) }
        let (multiclass, trees) = try train(q, x, labels, wholeTrees: .max)
        #expect(trees == 9)
        #expect(multiclass == (try GBDTTrainer(parameters: q).train(x, labels: labels).model))
    }

    /// A shard that stops growing whole trees part-way (the fallback to the per-level path)
    /// still gives the local model.
    @Test func fallingBackToLevelsMidJobGivesTheLocalModel() throws {
        let (x, y) = syntheticClassification(rows: 15_000, seed: 33)
        var p = GBDTParameters()
        p.trees = 7
        p.subsample = 0.8
        let local = try GBDTTrainer(parameters: p).train(x, labels: y).model
        let (model, grown) = try train(p, x, y, wholeTrees: 3)
        #expect(grown == 3)
        #expect(model == local)
    }
}
