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
    /// Threads for combining histograms (the workers wait meanwhile).
    let threads: Int
    /// The summed histograms of the open nodes (the root, then each level's children): the
    /// parents the right children are subtracted from.
    private var parents: [Int32: [Int64]] = [:]

    init(link: ClusterLink, job: UInt64, placement: [String], totalRows: Int, timeout: Duration,
         threads: Int = 1, cancelled: @escaping @Sendable () -> Bool) {
        self.threads = threads
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

    /// Each worker partitions, builds its smaller children and streams its left children in
    /// parts (SPLIT_REPLY `first`). As soon as every shard has sent split `k`'s, its left child
    /// is summed straight from the reply frames, the right one is the summed parent minus it,
    /// and `growth` searches both while the workers build the next parts.
    mutating func split(_ splits: [SplitOrder], into growth: inout TreeGrowth) throws(ClusterError) {
        guard !splits.isEmpty else { return }
        let parentHistograms = splits.map { split in
            guard let parent = parents[split.node] else { preconditionFailure("node \(split.node) is not open") }
            return parent
        }
        let size = parentHistograms[0].count
        var correlations: [UInt64] = []
        for (shard, worker) in placement.enumerated() {
            let decision = SplitDecision(shard: shard, splits: splits, histograms: true, stream: true)
            correlations.append(try link.send(.encoding(.splitDecision, decision), to: worker, job: job))
        }
        // Each shard's parts not yet summed, and how many splits its parts have covered.
        var parts = [[(first: Int, frame: Payload)]](repeating: [], count: placement.count)
        var covered = [Int](repeating: 0, count: placement.count)
        var summed = 0
        var children: [Int32: [Int64]] = [:]
        let placement = self.placement, threads = self.threads
        try link.receive(correlations, timeout: timeout, cancelled: cancelled) { shard, reply throws(ClusterError) -> Bool in
            let part = try Self.part(of: reply, splits: splits.count, from: covered[shard], size: size, worker: placement[shard])
            parts[shard].append(part)
            covered[shard] += part.frame.count / size
            let ready = covered.min()!
            guard ready > summed else { return covered[shard] == splits.count }
            let lefts = (summed..<ready).map { k in
                parts.map { shardParts in
                    let part = shardParts.last { $0.first <= k }!
                    return (frame: part.frame, offset: (k - part.first) * size)
                }
            }
            let pairs = Self.children(parents: Array(parentHistograms[summed..<ready]), lefts: lefts, size: size, threads: threads)
            growth.receive(children: pairs, from: summed)
            for (split, pair) in zip(splits[summed..<ready], pairs) {
                children[split.left] = pair.left
                children[split.right] = pair.right
            }
            summed = ready
            for index in parts.indices { parts[index].removeAll { $0.first + $0.frame.count / size <= ready } }
            return covered[shard] == splits.count
        }
        parents = children
    }

    /// The split index a SPLIT_REPLY part starts at and its frame of left histograms, checked
    /// against the `splits` of the decision, the `expected` start and the histogram `size`.
    private static func part(of reply: Envelope, splits: Int, from expected: Int, size: Int,
                             worker: String) throws(ClusterError) -> (first: Int, frame: Payload) {
        let message = reply.message
        let first = (try? message.decodeBody(SplitReply.self))?.first ?? 0
        let payload = message.payload
        guard payload.count == 2, payload[1].dtype == .i64, payload[0].dtype == .i64 else {
            throw .workerError(worker: worker, ErrorReply(code: .malformedMessage,
                                                          message: "SPLIT_REPLY without i64 counts and histograms frames"))
        }
        let histograms = payload[1].count / size
        guard first == expected, histograms > 0, payload[1].count == histograms * size,
              first + histograms <= splits, payload[0].count == 2 * histograms else {
            throw .workerError(worker: worker, ErrorReply(
                code: .malformedMessage,
                message: "SPLIT_REPLY part from split \(first) with \(payload[1].count) histogram integers and \(payload[0].count) counts; "
                    + "expected the part from split \(expected) of \(splits), histograms of \(size) integers"))
        }
        return (first, payload[1])
    }

    /// Per split `k`: left = Σ over shards of its left histogram (`lefts[k]`: each shard's
    /// frame and offset), right = parent − left, in one pass.
    static func children(parents: [[Int64]], lefts: [[(frame: Payload, offset: Int)]], size: Int,
                         threads: Int) -> [(left: [Int64], right: [Int64])] {
        var children = [(left: [Int64], right: [Int64])](repeating: ([], []), count: parents.count)
        children.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: parents.count, threads: threads) { k in
                out[k] = child(parent: parents[k], lefts: lefts[k], size: size)
            }
        }
        return children
    }

    /// One split's children: the sum of the shards' left histograms, and the parent minus it.
    private static func child(parent: [Int64], lefts: [(frame: Payload, offset: Int)], size: Int) -> (left: [Int64], right: [Int64]) {
        let first = lefts[0]
        var left = first.frame.withValues(as: Int64.self) { Array($0[first.offset..<first.offset + size]) }
        left.withUnsafeMutableBufferPointer { sum in
            for other in lefts.dropFirst() {
                other.frame.withValues(as: Int64.self) { add in
                    for i in 0..<size { sum[i] &+= add[other.offset + i] }
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
