import DistributedTraining
import Logging
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
    /// Threads for combining histograms (the workers wait meanwhile).
    let threads: Int
    /// Whether a job on one shard has its worker grow whole trees (TREE_GROW); turned off
    /// for the rest of the job when the worker does not implement it.
    private(set) var wholeTrees: Bool
    let logger: Logger
    /// The summed histograms of the open nodes (the root, then each level's children): the
    /// parents the right children are subtracted from.
    private var parents: [Int32: [Int64]] = [:]

    init(link: ClusterLink, job: UInt64, placement: [String], totalRows: Int, timeout: Duration,
         threads: Int = 1, wholeTrees: Bool = true, logger: Logger = Logger(label: "trainyard.coordinator"),
         cancelled: @escaping @Sendable () -> Bool) {
        self.threads = threads
        self.wholeTrees = wholeTrees
        self.logger = logger
        self.link = link
        self.job = job
        self.placement = placement
        self.totalRows = totalRows
        self.timeout = timeout
        self.cancelled = cancelled
    }

    /// Sends several requests to every shard back to back (workers answer them in order)
    /// and returns each shard's replies, in shard order. Each request goes to every shard
    /// before the next is encoded, so workers start on the first while the rest are built.
    func pipeline(_ requests: [(Int) -> Message]) throws(ClusterError) -> [[Envelope]] {
        var correlations = [[UInt64]](repeating: [], count: placement.count)
        for request in requests {
            for (shard, worker) in placement.enumerated() {
                correlations[shard].append(try link.send(request(shard), to: worker, job: job))
            }
        }
        let replies = try link.await(correlations.flatMap { $0 }, timeout: timeout, cancelled: cancelled)
        return placement.indices.map { Array(replies[$0 * requests.count..<($0 + 1) * requests.count]) }
    }

    mutating func finishTree(_ tree: RegressionTree?, lastSplits splits: [SplitOrder], group: Int,
                             leaves: [LeafValue], thenBegin next: TreeStart?) throws(ClusterError) -> [Int64]? {
        var requests: [(Int) -> Message] = []
        if !splits.isEmpty { requests.append { .encoding(.splitDecision, SplitDecision(shard: $0, splits: splits)) } }
        requests.append { .encoding(.treeFinish, TreeFinish(shard: $0, group: group, tree: tree, leaves: leaves)) }
        if let next { requests.append { .encoding(.histogramRequest, HistogramRequest(shard: $0, start: next)) } }
        let replies = try pipeline(requests)
        guard next != nil else { return nil }
        return try root(from: replies.map { $0[$0.count - 1] })
    }

    /// The root histogram summed over the shards' replies; it is the parent of the first splits.
    private mutating func root(from replies: [Envelope]) throws(ClusterError) -> [Int64] {
        var histograms: [[Int64]] = []
        for reply in replies { histograms.append(try int64Payload(reply).values(as: Int64.self)) }
        let root = Self.sum(histograms)
        parents = [0: root]
        return root
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

    private func int64Payload(_ envelope: Envelope, frame index: Int = 0) throws(ClusterError) -> Payload {
        let payload = envelope.message.payload
        guard index < payload.count, payload[index].dtype == .i64 else {
            throw .workerError(worker: "?", ErrorReply(code: .malformedMessage,
                                                       message: "\(envelope.message.type) without i64 payload frame \(index)"))
        }
        return payload[index]
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
        try root(from: scatter(.histogramRequest) { HistogramRequest(shard: $0, start: start) })
    }

    /// With one shard, its worker grows the whole tree (TREE_GROW): one exchange per tree
    /// instead of one per level, and no histograms on the wire. A worker that answers
    /// `unknown_message_type` or `unsupported_message` (it implements only the per-level
    /// protocol) changed nothing: the trainer grows this tree and the rest level by level.
    mutating func growTree(_ start: TreeStart, parameters: GBDTParameters,
                           featureMask: [Bool]) throws(ClusterError) -> RegressionTree? {
        guard wholeTrees, placement.count == 1 else { return nil }
        let mask = featureMask.allSatisfy { $0 } ? nil : featureMask
        let reply: Envelope
        do {
            reply = try scatter(.treeGrow) { TreeGrow(shard: $0, start: start, parameters: parameters, featureMask: mask) }[0]
        } catch .workerError(_, let error) where error.code == .unknownMessageType || error.code == .unsupportedMessage {
            logger.notice("worker does not implement TREE_GROW; the coordinator grows this job's trees level by level",
                          metadata: ["job": "\(job)", "worker": "\(placement[0])", "error": "\(error.message)"])
            wholeTrees = false
            return nil
        }
        guard reply.message.type == .treeGrown, let grown = try? reply.message.decodeBody(TreeGrown.self) else {
            throw .workerError(worker: placement[0], ErrorReply(code: .malformedMessage, message: "TREE_GROW answered without a tree"))
        }
        if let problem = grown.tree.problem(features: featureMask.count) {
            throw .workerError(worker: placement[0], ErrorReply(code: .malformedMessage, message: "TREE_GROWN tree: \(problem)"))
        }
        parents = [:]
        return grown.tree
    }

    /// Each worker partitions, builds its smaller children and sends its left children; the
    /// left children are summed straight from the reply frames, the right ones are the
    /// summed parents minus them.
    mutating func split(_ splits: [SplitOrder]) throws(ClusterError) -> [(left: [Int64], right: [Int64])] {
        let parentHistograms = splits.map { split in
            guard let parent = parents[split.node] else { preconditionFailure("node \(split.node) is not open") }
            return parent
        }
        let size = parentHistograms.first?.count ?? 0
        let replies = try scatter(.splitDecision) { SplitDecision(shard: $0, splits: splits, histograms: true) }
        var frames: [Payload] = []
        for (shard, reply) in replies.enumerated() {
            let frame = try int64Payload(reply, frame: 1)
            guard frame.count == size * splits.count else {
                throw .workerError(worker: placement[shard], ErrorReply(
                    code: .malformedMessage, message: "SPLIT_REPLY histograms are not \(splits.count) × \(size) integers"))
            }
            frames.append(frame)
        }
        let children = Self.children(parents: parentHistograms, leftFrames: frames, size: size, threads: threads)
        parents = [:]
        for (split, pair) in zip(splits, children) {
            parents[split.left] = pair.left
            parents[split.right] = pair.right
        }
        return children
    }

    /// Per split `k`: left = Σ over frames of histogram `k`, right = parent − left, in one pass.
    static func children(parents: [[Int64]], leftFrames: [Payload], size: Int,
                         threads: Int) -> [(left: [Int64], right: [Int64])] {
        var children = [(left: [Int64], right: [Int64])](repeating: ([], []), count: parents.count)
        children.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: parents.count, threads: threads) { k in
                out[k] = child(k, parent: parents[k], leftFrames: leftFrames, size: size)
            }
        }
        return children
    }

    /// Split `k`'s children: the sum of every frame's histogram `k`, and the parent minus it.
    private static func child(_ k: Int, parent: [Int64], leftFrames: [Payload], size: Int) -> (left: [Int64], right: [Int64]) {
        let slice = k * size..<(k + 1) * size
        var left = leftFrames[0].withValues(as: Int64.self) { Array($0[slice]) }
        left.withUnsafeMutableBufferPointer { sum in
            for frame in leftFrames.dropFirst() {
                frame.withValues(as: Int64.self) { add in
                    for i in 0..<size { sum[i] &+= add[slice.lowerBound + i] }
                }
            }
        }
        return (left, HistogramBuilder.subtract(parent, left))
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
