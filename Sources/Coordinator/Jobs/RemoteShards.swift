import DistributedTraining
import TrainyardML
import TrainyardProtocol
import ZeroMQ

/// A job's shards on workers, behind the same interface as a local shard: every call is
/// sent to each shard's worker at once and the replies are combined — histograms and
/// counts summed as exact integers, maxima maximised — so the model is the local one.
struct RemoteShards: GBDTShards {
    typealias Failure = ClusterError

    let link: ClusterLink
    let job: UInt64
    /// The worker holding each shard, by shard index.
    let placement: [String]
    let totalRows: Int
    let timeout: Duration
    let cancelled: @Sendable () -> Bool

    /// Sends several requests to every shard back to back (workers answer them in order)
    /// and returns each shard's replies, in shard order.
    func pipeline(_ messages: (Int) -> [Message]) throws(ClusterError) -> [[Envelope]] {
        var correlations: [[UInt64]] = []
        for (shard, worker) in placement.enumerated() {
            var ids: [UInt64] = []
            for message in messages(shard) { ids.append(try link.send(message, to: worker, job: job)) }
            correlations.append(ids)
        }
        let replies = try link.await(correlations.flatMap { $0 }, timeout: timeout, cancelled: cancelled)
        let perShard = correlations.first?.count ?? 0
        return placement.indices.map { Array(replies[$0 * perShard..<($0 + 1) * perShard]) }
    }

    mutating func applySplits(_ splits: [SplitOrder], thenFinish tree: RegressionTree, group: Int,
                              leaves: [LeafValue]) throws(ClusterError) {
        _ = try pipeline { shard in
            (splits.isEmpty ? [] : [Message.encoding(.splitDecision, SplitDecision(shard: shard, splits: splits))])
                + [.encoding(.treeFinish, TreeFinish(shard: shard, group: group, tree: tree, leaves: leaves))]
        }
    }

    /// Sends one request per shard and returns the replies in shard order.
    func scatter(_ type: MessageType, payload: (Int) -> [Payload] = { _ in [] },
                 _ body: (Int) -> some Encodable) throws(ClusterError) -> [Envelope] {
        var correlations: [UInt64] = []
        for (shard, worker) in placement.enumerated() {
            correlations.append(try link.send(.encoding(type, body(shard), payload: payload(shard)), to: worker, job: job))
        }
        return try link.await(correlations, timeout: timeout, cancelled: cancelled)
    }

    private func int64Payload(_ envelope: Envelope) throws(ClusterError) -> [Int64] {
        guard let frame = envelope.message.payload.first, frame.dtype == .i64 else {
            throw .workerError(worker: "?", ErrorReply(code: .malformedMessage, message: "\(envelope.message.type) without an i64 payload"))
        }
        return frame.values(as: Int64.self)
    }

    /// Element-wise sum of equally long integer arrays.
    static func sum(_ arrays: [[Int64]]) -> [Int64] {
        var total = arrays[0]
        total.withUnsafeMutableBufferPointer { out in
            for array in arrays.dropFirst() {
                array.withUnsafeBufferPointer { add in
                    for i in 0..<out.count { out[i] &+= add[i] }
                }
            }
        }
        return total
    }

    /// Histograms sent back to back, one per node.
    static func split(_ histograms: [Int64], into count: Int) -> [[Int64]] {
        let size = count == 0 ? 0 : histograms.count / count
        return (0..<count).map { Array(histograms[$0 * size..<($0 + 1) * size]) }
    }

    mutating func gradientMaxima(group: Int) throws(ClusterError) -> (gradient: Float, hessian: Float) {
        var result: (gradient: Float, hessian: Float) = (0, 0)
        for reply in try scatter(.gradientRequest, { GradientRequest(shard: $0, group: group) }) {
            guard let maxima = try? reply.message.decodeBody(GradientMaxima.self), let g = maxima.gradient, let h = maxima.hessian else {
                throw .workerError(worker: "?", ErrorReply(code: .malformedMessage, message: "GRADIENT_REPLY without maxima"))
            }
            result = (max(result.gradient, g), max(result.hessian, h))
        }
        return result
    }

    mutating func beginTree(_ start: TreeStart) throws(ClusterError) -> [Int64] {
        let replies = try scatter(.histogramRequest) { HistogramRequest(shard: $0, start: start) }
        var histograms: [[Int64]] = []
        for reply in replies { histograms.append(try int64Payload(reply)) }
        return Self.sum(histograms)
    }

    mutating func applySplits(_ splits: [SplitOrder]) throws(ClusterError) -> [(left: Int, right: Int)] {
        let replies = try scatter(.splitDecision) { SplitDecision(shard: $0, splits: splits) }
        var counts: [[Int64]] = []
        for reply in replies { counts.append(try int64Payload(reply)) }
        let total = Self.sum(counts)
        return splits.indices.map { (Int(total[2 * $0]), Int(total[2 * $0 + 1])) }
    }

    mutating func histograms(nodes: [Int32]) throws(ClusterError) -> [[Int64]] {
        let replies = try scatter(.histogramRequest) { HistogramRequest(shard: $0, nodes: nodes) }
        var all: [[Int64]] = []
        for reply in replies { all.append(try int64Payload(reply)) }
        return Self.split(Self.sum(all), into: nodes.count)
    }

    mutating func finishTree(_ tree: RegressionTree, group: Int, leaves: [LeafValue]) throws(ClusterError) {
        _ = try scatter(.treeFinish) { TreeFinish(shard: $0, group: group, tree: tree, leaves: leaves) }
    }

    /// Linear models: the loss and gradient sums of all shards at `parameters`, added in shard order.
    func linearStatistics(_ parameters: [Double], objective: Objective) throws(ClusterError) -> LinearLoss.Statistics {
        let replies = try scatter(.gradientRequest, payload: { _ in [.float64(parameters)] }) {
            GradientRequest(shard: $0, objective: objective)
        }
        var total: LinearLoss.Statistics?
        for reply in replies {
            guard let frame = reply.message.payload.first, frame.dtype == .f64, frame.count == parameters.count + 1 else {
                throw .workerError(worker: "?", ErrorReply(code: .malformedMessage, message: "GRADIENT_REPLY without f64 statistics"))
            }
            let values = frame.values(as: Double.self)
            let stats = LinearLoss.Statistics(loss: values[0], gradient: Array(values.dropFirst()))
            total = total.map { $0 + stats } ?? stats
        }
        return total!
    }
}
