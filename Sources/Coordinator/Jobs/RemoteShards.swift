import DistributedTraining
import Logging
import TrainyardML
import TrainyardProtocol
import ZeroMQ

/// A job's shards on workers, behind the same interface as a local shard: every call is
/// sent to each shard's worker at once and the replies are combined — histograms and
/// counts summed as exact integers, maxima maximised — so the model is the local one.
///
/// Every reply is validated before it is used: its type, its frames, counts within the
/// shard's rows, histograms that a shard of its size can produce (``HistogramCheck``) summed
/// with overflow checks, finite statistics and trees. A reply that fails throws
/// ``ClusterError/invalidReply(worker:reason:)`` naming the worker, which the engine treats
/// like a dead worker.
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
    /// What histograms must satisfy (trees only).
    let histograms: HistogramCheck?
    /// The summed histograms of the open nodes (the root, then each level's children): the
    /// parents the right children are subtracted from.
    private var parents: [Int32: [Int64]] = [:]

    init(link: ClusterLink, job: UInt64, placement: [String], totalRows: Int, timeout: Duration,
         layout: HistogramLayout? = nil, threads: Int = 1, wholeTrees: Bool = true,
         logger: Logger = Logger(label: "trainyard.coordinator"), cancelled: @escaping @Sendable () -> Bool) {
        self.histograms = layout.map(HistogramCheck.init(layout:))
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

    /// Rows of shard `shard`.
    func rows(of shard: Int) -> Int {
        ShardDescriptor.rows(shard: shard, of: placement.count, totalRows: totalRows).count
    }

    /// One request to every shard, of one shard call, for ``pipeline(_:)``.
    struct Request {
        let check: (Message) throws(ShardCallError) -> Void
        let message: (Int) -> Message

        static func of<C: ShardCall>(_ call: C.Type, _ body: @escaping (Int) -> C.Request) -> Request {
            Request(check: { message throws(ShardCallError) in _ = try C.decodeReply(message) }, message: { C.message(body($0)) })
        }
    }

    /// Sends several requests to every shard back to back (workers answer them in order)
    /// and returns each shard's replies, in shard order, each checked to be its call's reply.
    /// Each request goes to every shard before the next is encoded, so workers start on the
    /// first while the rest are built.
    func pipeline(_ requests: [Request]) throws(ClusterError) -> [[Envelope]] {
        var correlations = [[UInt64]](repeating: [], count: placement.count)
        for request in requests {
            for (shard, worker) in placement.enumerated() {
                correlations[shard].append(try link.send(request.message(shard), to: worker, job: job))
            }
        }
        let replies = try link.await(correlations.flatMap { $0 }, timeout: timeout, cancelled: cancelled)
        var byShard: [[Envelope]] = []
        for shard in placement.indices {
            let mine = Array(replies[shard * requests.count..<(shard + 1) * requests.count])
            for (reply, request) in zip(mine, requests) {
                do { try request.check(reply.message) } catch { throw .invalidReply(worker: placement[shard], reason: error.description) }
            }
            byShard.append(mine)
        }
        return byShard
    }

    mutating func finishTree(_ tree: RegressionTree?, lastSplits splits: [SplitOrder], group: Int,
                             leaves: [LeafValue], thenBegin next: TreeStart?) throws(ClusterError) -> [Int64]? {
        var requests: [Request] = []
        if !splits.isEmpty { requests.append(.of(ShardCalls.Split.self) { SplitDecision(shard: $0, splits: splits) }) }
        requests.append(.of(ShardCalls.Finish.self) { TreeFinish(shard: $0, group: group, tree: tree, leaves: leaves) })
        if let next { requests.append(.of(ShardCalls.Histogram.self) { HistogramRequest(shard: $0, start: next) }) }
        let replies = try pipeline(requests)
        if !splits.isEmpty {
            for (shard, shardReplies) in replies.enumerated() {
                try checkCounts(shardReplies[0].message.payload, splits: splits.count, shard: shard)
            }
        }
        guard next != nil else { return nil }
        return try root(from: replies.map { $0[$0.count - 1].message.payload })
    }

    /// The root histogram summed over the shards' replies, each checked first; it is the
    /// parent of the first splits.
    private mutating func root(from replies: [[Payload]]) throws(ClusterError) -> [Int64] {
        guard let check = histograms else { preconditionFailure("a tree job's RemoteShards needs the histogram layout") }
        var total = [Int64](repeating: 0, count: check.size)
        for (shard, reply) in replies.enumerated() {
            let frame = try int64Payload(reply, of: ShardCalls.Histogram.replyType, shard: shard)
            let problem: String? = frame.withValues(as: Int64.self) { values in
                if let problem = check.problem(values, count: 1, rows: rows(of: shard)) { return problem }
                return total.withUnsafeMutableBufferPointer { sum in
                    HistogramCheck.add(values, into: sum).map { "integer \($0) of the root histogram overflows Int64 when added to the other shards'" }
                }
            }
            if let problem { throw .invalidReply(worker: placement[shard], reason: "\(ShardCalls.Histogram.replyType): \(problem)") }
        }
        parents = [0: total]
        return total
    }

    /// Sends call `C` to every shard and returns the decoded replies in shard order.
    func scatter<C: ShardCall>(_ call: C.Type, payload: (Int) -> [Payload] = { _ in [] },
                               _ body: (Int) -> C.Request) throws(ClusterError) -> [ShardReply<C.ReplyBody>] {
        var correlations: [UInt64] = []
        for (shard, worker) in placement.enumerated() {
            correlations.append(try link.send(call, body(shard), payload: payload(shard), to: worker, job: job))
        }
        var replies: [ShardReply<C.ReplyBody>] = []
        for (shard, reply) in try link.await(correlations, timeout: timeout, cancelled: cancelled).enumerated() {
            replies.append(try ClusterLink.decode(call, reply, from: placement[shard]))
        }
        return replies
    }

    /// Frame `index` of a reply of `type`, which must be of 64-bit integers.
    private func int64Payload(_ payload: [Payload], frame index: Int = 0, of type: MessageType, shard: Int) throws(ClusterError) -> Payload {
        guard index < payload.count, payload[index].dtype == .i64 else {
            throw .invalidReply(worker: placement[shard], reason: "\(type) without i64 payload frame \(index)")
        }
        return payload[index]
    }

    /// A SPLIT_REPLY's (left, right) row counts: `2 × splits` integers, each within the shard's rows.
    private func checkCounts(_ payload: [Payload], splits: Int, shard: Int) throws(ClusterError) {
        let counts = try int64Payload(payload, of: ShardCalls.Split.replyType, shard: shard).values(as: Int64.self)
        let rows = Int64(rows(of: shard))
        guard counts.count == 2 * splits else {
            throw .invalidReply(worker: placement[shard], reason: "SPLIT_REPLY has \(counts.count) row counts for \(splits) splits")
        }
        for k in 0..<splits {
            let (left, right) = (counts[2 * k], counts[2 * k + 1])
            guard left >= 0, right >= 0, left <= rows, right <= rows - left else {
                throw .invalidReply(worker: placement[shard],
                                    reason: "SPLIT_REPLY row counts (\(left), \(right)) of split \(k) do not fit the shard's \(rows) rows")
            }
        }
    }

    mutating func gradientMaxima(group: Int) throws(ClusterError) -> (gradient: Float, hessian: Float) {
        var result: (gradient: Float, hessian: Float) = (0, 0)
        for (shard, reply) in try scatter(ShardCalls.Gradient.self, { GradientRequest(shard: $0, group: group) }).enumerated() {
            guard let g = reply.body.gradient, let h = reply.body.hessian else {
                throw .invalidReply(worker: placement[shard], reason: "GRADIENT_REPLY without gradient and hessian maxima")
            }
            guard g.isFinite, h.isFinite, g >= 0, h >= 0 else {
                throw .invalidReply(worker: placement[shard], reason: "GRADIENT_REPLY maxima (\(g), \(h)) are not finite and non-negative")
            }
            result = (max(result.gradient, g), max(result.hessian, h))
        }
        return result
    }

    mutating func beginTree(_ start: TreeStart) throws(ClusterError) -> [Int64] {
        try root(from: scatter(ShardCalls.Histogram.self) { HistogramRequest(shard: $0, start: start) }.map(\.payload))
    }

    /// With one shard, its worker grows the whole tree (TREE_GROW): one exchange per tree
    /// instead of one per level, and no histograms on the wire. A worker that answers
    /// `unknown_message_type` or `unsupported_message` (it implements only the per-level
    /// protocol) changed nothing: the trainer grows this tree and the rest level by level.
    mutating func growTree(_ start: TreeStart, parameters: GBDTParameters,
                           featureMask: [Bool]) throws(ClusterError) -> RegressionTree? {
        guard wholeTrees, placement.count == 1 else { return nil }
        let mask = featureMask.allSatisfy { $0 } ? nil : featureMask
        let grown: TreeGrown
        do {
            grown = try scatter(ShardCalls.Grow.self) { TreeGrow(shard: $0, start: start, parameters: parameters, featureMask: mask) }[0].body
        } catch .workerError(_, let error) where error.code == .unknownMessageType || error.code == .unsupportedMessage {
            logger.notice("worker does not implement TREE_GROW; the coordinator grows this job's trees level by level",
                          metadata: ["job": "\(job)", "worker": "\(placement[0])", "error": "\(error.message)"])
            wholeTrees = false
            return nil
        }
        if let problem = grown.tree.problem(features: featureMask.count) ?? Self.numericProblem(grown.tree) {
            throw .invalidReply(worker: placement[0], reason: "TREE_GROWN tree: \(problem)")
        }
        parents = [:]
        return grown.tree
    }

    /// A tree's numbers a worker computed: leaf values and weights finite, hessian sums finite and non-negative.
    static func numericProblem(_ tree: RegressionTree) -> String? {
        for node in 0..<tree.nodeCount {
            guard tree.value[node].isFinite, tree.baseWeight[node].isFinite, tree.lossChange[node].isFinite,
                  tree.sumHessian[node].isFinite, tree.sumHessian[node] >= 0 else {
                return "node \(node) has a non-finite value, weight, loss change or a negative hessian sum"
            }
        }
        return nil
    }

    /// Each worker partitions, builds its smaller children and sends its left children; the
    /// left children are checked, summed straight from the reply frames with overflow checks,
    /// and the right ones are the summed parents minus them.
    mutating func split(_ splits: [SplitOrder]) throws(ClusterError) -> [(left: [Int64], right: [Int64])] {
        let parentHistograms = splits.map { split in
            guard let parent = parents[split.node] else { preconditionFailure("node \(split.node) is not open") }
            return parent
        }
        guard let check = histograms else { preconditionFailure("a tree job's RemoteShards needs the histogram layout") }
        let size = check.size
        let replies = try scatter(ShardCalls.Split.self) { SplitDecision(shard: $0, splits: splits, histograms: true) }
        var frames: [Payload] = []
        for (shard, reply) in replies.enumerated() {
            try checkCounts(reply.payload, splits: splits.count, shard: shard)
            let frame = try int64Payload(reply.payload, frame: 1, of: ShardCalls.Split.replyType, shard: shard)
            let rows = rows(of: shard)
            let problem = frame.withValues(as: Int64.self) { check.problem($0, count: splits.count, rows: rows) }
            if let problem { throw .invalidReply(worker: placement[shard], reason: "SPLIT_REPLY left children: \(problem)") }
            frames.append(frame)
        }
        let children: [(left: [Int64], right: [Int64])]
        switch Self.children(parents: parentHistograms, leftFrames: frames, size: size, threads: threads) {
        case .success(let pairs): children = pairs
        case .failure(let problem):
            throw .inconsistentReplies(workers: Array(Set(placement)).sorted(), reason: problem.description)
        }
        parents = [:]
        for (split, pair) in zip(splits, children) {
            parents[split.left] = pair.left
            parents[split.right] = pair.right
        }
        return children
    }

    /// Per split `k`: left = Σ over frames of histogram `k`, right = parent − left, in one
    /// pass, with every sum and difference checked (``HistogramCheck``).
    static func children(parents: [[Int64]], leftFrames: [Payload], size: Int,
                         threads: Int) -> Result<[(left: [Int64], right: [Int64])], HistogramProblem> {
        var children = [Result<(left: [Int64], right: [Int64]), HistogramProblem>](
            repeating: .failure(HistogramProblem("not computed")), count: parents.count)
        children.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: parents.count, threads: threads) { k in
                out[k] = child(k, parent: parents[k], leftFrames: leftFrames, size: size)
            }
        }
        var pairs: [(left: [Int64], right: [Int64])] = []
        pairs.reserveCapacity(children.count)
        for (k, child) in children.enumerated() {
            switch child {
            case .success(let pair): pairs.append(pair)
            case .failure(let problem): return .failure(HistogramProblem("split \(k): \(problem)"))
            }
        }
        return .success(pairs)
    }

    /// Split `k`'s children: the sum of every frame's histogram `k`, and the parent minus it.
    private static func child(_ k: Int, parent: [Int64], leftFrames: [Payload],
                              size: Int) -> Result<(left: [Int64], right: [Int64]), HistogramProblem> {
        let slice = k * size..<(k + 1) * size
        var left = leftFrames[0].withValues(as: Int64.self) { Array($0[slice]) }
        let overflow: Int? = left.withUnsafeMutableBufferPointer { sum in
            for frame in leftFrames.dropFirst() {
                let at = frame.withValues(as: Int64.self) { add in
                    HistogramCheck.add(UnsafeBufferPointer(rebasing: add[slice]), into: sum)
                }
                if let at { return at }
            }
            return nil
        }
        if let overflow {
            return .failure(HistogramProblem("integer \(overflow) of the left children's histograms overflows Int64 when summed over shards"))
        }
        return HistogramCheck.subtract(parent, left).map { (left, $0) }
    }

    /// Linear models: the loss and gradient sums of all shards at `parameters`, added in shard order.
    func linearStatistics(_ parameters: [Double], objective: Objective) throws(ClusterError) -> LinearLoss.Statistics {
        let replies = try scatter(ShardCalls.Gradient.self, payload: { _ in [.float64(parameters)] }) {
            GradientRequest(shard: $0, objective: objective)
        }
        var total: LinearLoss.Statistics?
        for (shard, reply) in replies.enumerated() {
            guard let frame = reply.payload.first, frame.dtype == .f64, frame.count == parameters.count + 1 else {
                throw .invalidReply(worker: placement[shard], reason: "GRADIENT_REPLY without f64[\(parameters.count + 1)] statistics")
            }
            let values = frame.values(as: Double.self)
            guard values.allSatisfy(\.isFinite), values[0] >= 0 else {
                throw .invalidReply(worker: placement[shard], reason: "GRADIENT_REPLY loss or gradient is not finite, or the loss is negative")
            }
            let stats = LinearLoss.Statistics(loss: values[0], gradient: Array(values.dropFirst()))
            total = total.map { $0 + stats } ?? stats
        }
        return total!
    }
}
