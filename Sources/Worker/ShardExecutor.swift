import DistributedTraining
import TrainyardML
import TrainyardProtocol
import ZeroMQ

/// The worker's half of distributed training: receives shards, and answers the
/// coordinator's per-shard requests (sketches, histograms, partitions, margin updates,
/// whole trees of single-shard jobs, linear statistics) from the shards it holds.
///
/// Not thread-safe: ``WorkerService`` confines it to one serial compute queue, so socket
/// and heartbeat handling never wait on training work.
public final class ShardExecutor {
    private enum Held {
        case receiving(ShardReceiver)
        case raw(ShardData, ShardDescriptor)
        case boosting(GBDTShard)
    }

    private struct Key: Hashable {
        var job: UInt64
        var shard: Int
    }

    public let threads: Int
    /// Whether TREE_GROW is answered (see ``WorkerSettings/growsWholeTrees``).
    public let growsWholeTrees: Bool
    private var held: [Key: Held] = [:]
    /// Shards kept by content for SHARD_BEGINs with `reuse`.
    private var cache: ShardCache
    /// The gradient maxima of each boosting shard's last GRADIENT_REQUEST, until the tree they
    /// are for starts: objectives without gradient bounds quantise those gradients.
    private var maxima: [Key: (gradient: Float, hessian: Float)] = [:]
    /// Models of batch prediction jobs by SHA-256, most recently used last (at most ``modelsKept``).
    private var models: [(sha256: String, model: TrainyardModel)] = []
    static let modelsKept = 4

    /// An executor that computes with `threads` threads and keeps up to `cacheBytes` of
    /// received shards for reuse (``WorkerSettings/shardCacheBytes``).
    public init(threads: Int, growsWholeTrees: Bool = true, cacheBytes: Int = WorkerSettings.defaultShardCacheBytes) {
        self.threads = Parallel.resolve(threads: threads)
        self.growsWholeTrees = growsWholeTrees
        cache = ShardCache(capacity: cacheBytes)
    }

    /// Shards held, for logs and tests.
    public var shardCount: Int { held.count }
    /// SHARD_BEGINs answered from the shards kept for reuse.
    public var cacheHits: Int { cache.hits }

    /// Forgets every shard (the coordinator restarted: its jobs will ship them again).
    public func dropAll() {
        held = [:]
        maxima = [:]
    }

    /// Handles one request of `envelope`'s job and returns the reply, or `nil` for
    /// messages that take none (JOB_ABORT). Errors become ERROR replies naming the problem.
    public func handle(_ envelope: Envelope) -> Message? {
        do {
            return try reply(to: envelope.message, job: envelope.jobID)
        } catch let error as ShardError {
            let code: ErrorCode = if case .checksumMismatch = error { .checksumMismatch } else { .malformedMessage }
            return .error(ErrorReply(code: code, message: error.description))
        } catch let error as ProtocolError {
            return .error(ErrorReply(error))
        } catch let error as ExecutorError {
            return .error(ErrorReply(code: error.code, message: error.description))
        } catch let error as DatasetError {
            return .error(ErrorReply(code: .invalidRequest, message: error.description))
        } catch let error as PreprocessingError {
            return .error(ErrorReply(code: .invalidRequest, message: error.description))
        } catch {
            return .error(ErrorReply(code: .malformedMessage, message: "\(error)"))
        }
    }

    /// One handler per shard call (``ShardCalls``), and JOB_ABORT.
    private static let handlers: [MessageType: @Sendable (ShardExecutor) -> (Message, UInt64) throws -> Message?] = [
        ShardCalls.Begin.requestType: { $0.begin }, ShardCalls.Chunk.requestType: { $0.chunk }, ShardCalls.End.requestType: { $0.end },
        ShardCalls.Sketch.requestType: { $0.sketch }, ShardCalls.Cuts.requestType: { $0.binCuts },
        ShardCalls.Checkpoint.requestType: { $0.checkpoint }, ShardCalls.Gradient.requestType: { $0.gradient },
        ShardCalls.Histogram.requestType: { $0.histogram }, ShardCalls.Split.requestType: { $0.split },
        ShardCalls.Finish.requestType: { $0.treeFinish }, ShardCalls.Grow.requestType: { $0.grow },
        ShardCalls.Predict.requestType: { $0.predict }, .jobAbort: { $0.abort },
    ]

    private func reply(to message: Message, job: UInt64) throws -> Message? {
        guard let handler = Self.handlers[message.type] else {
            throw ExecutorError.unexpected("\(message.type) is not a request a worker answers")
        }
        return try handler(self)(message, job)
    }

    /// PREDICT_REQUEST: parses the slice under the header with the model's column kinds, scores
    /// it, and answers the output lines; a bad row is refused naming its line in the whole file.
    private func predict(_ message: Message, job: UInt64) throws -> Message? {
        let request = try ShardCalls.Predict.decodeRequest(message)
        guard message.payload.count == 2, message.payload.allSatisfy({ $0.dtype == .u8 }) else {
            throw ExecutorError.unexpected("PREDICT_REQUEST carries two u8 frames: the model file (empty if sent before) and the slice")
        }
        let model = try predictionModel(request.model, bytes: message.payload[0].values(as: UInt8.self))
        let bytes = Array(request.header.utf8) + [UInt8(ascii: "\n")] + message.payload[1].values(as: UInt8.self)
        func read(_ kinds: [String: ColumnKind]) throws -> Table {
            var options = CSVOptions()
            options.kinds = kinds
            options.strictKinds = false
            options.threads = threads
            do { return try CSVReader.read(bytes: bytes, name: request.name, options: options) } catch {
                throw error.shiftingLines(by: request.firstLine - 2)
            }
        }
        // Kept columns pass through as written: read as text, a second time if the model reads one as numbers.
        var kinds = model.preprocessor.columnKinds
        let keepAsText = Dictionary(uniqueKeysWithValues: request.keep.map { ($0, ColumnKind.categorical) })
        let clash = request.keep.contains { kinds[$0] != nil && kinds[$0] != .categorical }
        if !clash { kinds.merge(keepAsText) { $1 } }
        let table = try read(kinds)
        let keptTable = clash ? try read(keepAsText) : table
        let kept = try request.keep.map { name -> [String] in
            switch keptTable[name] {
            case .categorical(let codes, let levels)?: codes.map { $0 >= 0 ? levels[Int($0)] : "" }
            case .text(let documents)?: documents
            case .numeric(let values)?: values.map { $0.isNaN ? "" : "\($0)" }
            case nil: throw DatasetError.unknownColumn(file: request.name, name: name, available: keptTable.names)
            }
        }
        let predictions = try model.predict(table, threads: threads)
        let text = PredictionWriter(model: model).lines(predictions, rows: table.rows, kept: kept)
        return ShardCalls.Predict.reply(PredictReply(slice: request.slice, rows: table.rows), payload: [.uint8(Array(text.utf8))])
    }

    /// The model with SHA-256 `sha256`: decoded from `bytes` (checked against it) or kept from an earlier request.
    private func predictionModel(_ sha256: String, bytes: [UInt8]) throws -> TrainyardModel {
        if let index = models.firstIndex(where: { $0.sha256 == sha256 }) {
            let kept = models.remove(at: index)
            models.append(kept)
            return kept.model
        }
        guard !bytes.isEmpty else {
            throw ExecutorError.unexpected("PREDICT_REQUEST names model \(sha256.prefix(12))… without its file, and this worker does not hold it")
        }
        let actual = FileFingerprint.sha256(bytes)
        guard actual == sha256 else { throw ExecutorError.modelChecksum(expected: sha256, actual: actual) }
        let model = try ModelFile.decode(bytes, path: "model \(sha256.prefix(12))")
        models.append((sha256, model))
        if models.count > Self.modelsKept { models.removeFirst() }
        return model
    }

    private func begin(_ message: Message, job: UInt64) throws -> Message? {
        let begin = try ShardCalls.Begin.decodeRequest(message)
        let receiver = try ShardReceiver(begin)
        if begin.reuse == true, let data = cache.take(ShardCache.Key(begin)) {
            held[Key(job: job, shard: begin.shard.index)] = .raw(data, begin.shard)
            return ShardCalls.Begin.reply(ShardAck(shard: begin.shard.index, chunk: begin.chunks))
        }
        held[Key(job: job, shard: begin.shard.index)] = .receiving(receiver)
        return ShardCalls.Begin.reply(ShardAck(shard: begin.shard.index, chunk: -1))
    }

    private func chunk(_ message: Message, job: UInt64) throws -> Message? {
        let chunk = try ShardCalls.Chunk.decodeRequest(message)
        guard case .receiving(var receiver) = try shard(job, chunk.shard), let frame = message.payload.first else {
            throw ExecutorError.unexpected("SHARD_CHUNK for shard \(chunk.shard), which is not being received")
        }
        // Out of the table while it grows (its arrays stay uniquely referenced); back in even when the
        // chunk is refused, so that the coordinator can send it again.
        held[Key(job: job, shard: chunk.shard)] = nil
        defer { held[Key(job: job, shard: chunk.shard)] = .receiving(receiver) }
        try receiver.receive(chunk, bytes: frame.frame)
        return ShardCalls.Chunk.reply(ShardAck(shard: chunk.shard, chunk: chunk.chunk))
    }

    private func end(_ message: Message, job: UInt64) throws -> Message? {
        let end = try ShardCalls.End.decodeRequest(message)
        guard case .receiving(let receiver) = try shard(job, end.shard) else {
            throw ExecutorError.unexpected("SHARD_END for shard \(end.shard), which is not being received")
        }
        held[Key(job: job, shard: end.shard)] = nil
        let data = try receiver.finish()
        held[Key(job: job, shard: end.shard)] = .raw(data, receiver.begin.shard)
        cache.insert(data, size: receiver.begin.bytes, for: ShardCache.Key(receiver.begin))
        return ShardCalls.End.reply(ShardAck(shard: end.shard, chunk: receiver.begin.chunks))
    }

    private func sketch(_ message: Message, job: UInt64) throws -> Message? {
        let request = try ShardCalls.Sketch.decodeRequest(message)
        guard case .raw(.dense(let features, _), let descriptor) = try shard(job, request.shard) else {
            throw ExecutorError.unexpected("SKETCH_REQUEST for shard \(request.shard), which holds no dense rows")
        }
        let samples = QuantileCuts.sample(features, firstRow: descriptor.firstRow, totalRows: descriptor.totalRows,
                                          threads: threads)
        return ShardCalls.Sketch.reply(request, payload: FeatureArrays.payload(samples))
    }

    private func binCuts(_ message: Message, job: UInt64) throws -> Message? {
        let body = try ShardCalls.Cuts.decodeRequest(message)
        let cuts = try Self.cuts(FeatureArrays.arrays(message.payload))
        guard case .raw(.dense(let features, let labels), let descriptor) = try shard(job, body.shard) else {
            throw ExecutorError.unexpected("BIN_CUTS for shard \(body.shard), which holds no dense rows")
        }
        guard cuts.cuts.count == features.columns else {
            throw ExecutorError.unexpected("BIN_CUTS has cuts for \(cuts.cuts.count) features; the shard has \(features.columns)")
        }
        maxima[Key(job: job, shard: body.shard)] = nil
        held[Key(job: job, shard: body.shard)] = .boosting(GBDTShard(
            features: features, labels: labels, cuts: cuts, objective: body.objective, baseMargin: body.baseMargin,
            firstRow: descriptor.firstRow, totalRows: descriptor.totalRows, threads: threads))
        return ShardCalls.Cuts.reply(ShardRef(shard: body.shard))
    }

    private func checkpoint(_ message: Message, job: UInt64) throws -> Message? {
        let body = try ShardCalls.Checkpoint.decodeRequest(message)
        try mutateBoosting(job, body.shard) { shard throws(ExecutorError) in
            try Self.refuse(Self.problem(with: body.trees, groups: body.treeGroups, shard: shard), message.type)
            shard.replay(body.trees, groups: body.treeGroups)
        }
        maxima[Key(job: job, shard: body.shard)] = nil
        return ShardCalls.Checkpoint.reply(ShardRef(shard: body.shard))
    }

    private func gradient(_ message: Message, job: UInt64) throws -> Message? {
        let body = try ShardCalls.Gradient.decodeRequest(message)
        if let objective = body.objective {
            return try linearStatistics(job, body.shard, objective: objective, payload: message.payload)
        }
        guard let group = body.group else { throw ExecutorError.unexpected("GRADIENT_REQUEST needs a group or an objective") }
        let computed = try mutateBoosting(job, body.shard) { shard throws(ExecutorError) in
            try Self.refuse(Self.problem(with: [], groups: [group], shard: shard), message.type)
            return shard.gradientMaxima(group: group)
        }
        maxima[Key(job: job, shard: body.shard)] = computed
        return ShardCalls.Gradient.reply(GradientMaxima(shard: body.shard, gradient: computed.gradient, hessian: computed.hessian))
    }

    private func histogram(_ message: Message, job: UInt64) throws -> Message? {
        let body = try ShardCalls.Histogram.decodeRequest(message)
        let histograms: [[Int64]]
        if let start = body.start {
            let key = Key(job: job, shard: body.shard), maxima = self.maxima[key]
            histograms = [try mutateBoosting(job, body.shard) { shard throws(ExecutorError) in
                try Self.refuse(Self.problem(with: [], groups: [start.group], shard: shard)
                                    ?? Self.problem(with: start, objective: shard.objective, maxima: maxima), message.type)
                return shard.beginTree(start)
            }]
            self.maxima[key] = nil
        } else if let nodes = body.nodes {
            histograms = try mutateBoosting(job, body.shard) { shard throws(ExecutorError) in
                try Self.refuse(shard.problem(with: nodes), message.type)
                return shard.histograms(nodes: nodes)
            }
        } else {
            throw ExecutorError.unexpected("HISTOGRAM_REQUEST needs start or nodes")
        }
        return ShardCalls.Histogram.reply(ShardRef(shard: body.shard),
                         payload: [.concatenating(histograms, dtype: .i64)])
    }

    private func split(_ message: Message, job: UInt64) throws -> Message? {
        let body = try ShardCalls.Split.decodeRequest(message)
        let histograms = body.histograms == true
        guard histograms else {
            let counts = try mutateBoosting(job, body.shard) { shard throws(ExecutorError) in
                try Self.refuse(shard.problem(with: body.splits, histograms: false), message.type)
                return shard.applySplits(body.splits)
            }
            return ShardCalls.Split.reply(ShardRef(shard: body.shard), payload: [Self.countsPayload(counts)])
        }
        let (counts, lefts) = try mutateBoosting(job, body.shard) { shard throws(ExecutorError) in
            try Self.refuse(shard.problem(with: body.splits, histograms: true), message.type)
            let children = shard.split(body.splits)
            return (shard.rowCounts(of: body.splits), children.map(\.left))
        }
        return ShardCalls.Split.reply(ShardRef(shard: body.shard),
                         payload: [Self.countsPayload(counts), .concatenating(lefts, dtype: .i64)])
    }

    private func treeFinish(_ message: Message, job: UInt64) throws -> Message? {
        let body = try ShardCalls.Finish.decodeRequest(message)
        try mutateBoosting(job, body.shard) { shard throws(ExecutorError) in
            try Self.refuse(Self.problem(with: body.tree.map { [$0] } ?? [], groups: [body.group], shard: shard)
                                ?? shard.problem(with: body.leaves.map(\.node)), message.type)
            if body.tree == nil && shard.finishNeedsTree {
                throw .unexpected("\(message.type) refused: this tree's row sample left rows out, and they need the tree")
            }
            shard.finishTree(body.tree, group: body.group, leaves: body.leaves)
        }
        return ShardCalls.Finish.reply(ShardRef(shard: body.shard))
    }

    private func grow(_ message: Message, job: UInt64) throws -> Message? {
        guard growsWholeTrees else {
            return .error(ErrorReply(code: .unsupportedMessage, message: "\(message.type) is not implemented by this worker"))
        }
        let body = try ShardCalls.Grow.decodeRequest(message)
        let threads = self.threads
        let key = Key(job: job, shard: body.shard), maxima = self.maxima[key]
        let tree = try mutateBoosting(job, body.shard) { shard throws(ExecutorError) in
            try Self.refuse(Self.problem(with: [], groups: [body.start.group], shard: shard)
                                ?? Self.problem(with: body.start, objective: shard.objective, maxima: maxima), message.type)
            if let mask = body.featureMask, mask.count != shard.bins.features {
                throw .unexpected("\(message.type) refused: featureMask has \(mask.count) flags for \(shard.bins.features) features")
            }
            do { try body.parameters.validate() } catch {
                throw .unexpected("\(message.type) refused: \(error)")
            }
            let mask = body.featureMask ?? [Bool](repeating: true, count: shard.bins.features)
            return shard.growTree(body.start, parameters: body.parameters, featureMask: mask, threads: threads)
        }
        self.maxima[key] = nil
        return ShardCalls.Grow.reply(TreeGrown(shard: body.shard, tree: tree))
    }

    private func abort(_ message: Message, job: UInt64) throws -> Message? {
        held = held.filter { $0.key.job != job }
        maxima = maxima.filter { $0.key.job != job }
        return nil
    }

    private func shard(_ job: UInt64, _ index: Int) throws(ExecutorError) -> Held {
        guard let shard = held[Key(job: job, shard: index)] else { throw .unknownShard(job: job, shard: index) }
        return shard
    }

    @discardableResult
    private func mutateBoosting<T>(_ job: UInt64, _ index: Int,
                                   _ body: (inout GBDTShard) throws(ExecutorError) -> T) throws(ExecutorError) -> T {
        let key = Key(job: job, shard: index)
        guard case .boosting(var shard) = held[key] else {
            if held[key] == nil { throw .unknownShard(job: job, shard: index) }
            throw .unexpected("shard \(index) of job \(job) has no bin cuts yet")
        }
        held[key] = nil  // keep the shard's arrays uniquely referenced while it changes
        defer { held[key] = .boosting(shard) }
        return try body(&shard)
    }

    /// What is wrong with trees and output groups sent for `shard`, if anything.
    private static func problem(with trees: [RegressionTree], groups: [Int], shard: GBDTShard) -> String? {
        let outputs = shard.objective.outputGroups
        if let group = groups.first(where: { !(0..<outputs).contains($0) }) {
            return "output group \(group) of an objective with \(outputs)"
        }
        guard trees.isEmpty || trees.count == groups.count else { return "\(trees.count) trees for \(groups.count) groups" }
        for (index, tree) in trees.enumerated() {
            if let problem = tree.problem(features: shard.bins.features) { return "tree \(index): \(problem)" }
        }
        return nil
    }

    /// What is wrong with starting a tree with `start` on a shard boosting `objective`, if
    /// anything: an objective without gradient bounds needs this tree's GRADIENT_REQUEST (its
    /// `maxima`) first, and the exponents must keep every quantised gradient and hessian —
    /// at most the maxima (or the objective's bounds) times 2^exponent — within Int32.
    private static func problem(with start: TreeStart, objective: Objective,
                                maxima: (gradient: Float, hessian: Float)?) -> String? {
        guard let bounds = objective.gradientBounds ?? maxima else {
            return "\(objective.name) needs a GRADIENT_REQUEST before each tree"
        }
        for (bound, exponent) in [(bounds.gradient, start.scale.gradientExponent), (bounds.hessian, start.scale.hessianExponent)] {
            // NaN (0 × ∞ for an exponent beyond Double's range) fails the comparison too.
            guard Double(bound) * Double(sign: .plus, exponent: exponent, significand: 1) < 0x8000_0000 else {
                return "exponent \(exponent) puts the fixed-point gradients of \(bound) beyond 32 bits"
            }
        }
        return nil
    }

    /// Throws when `problem` names one (a request that does not fit the shard's tree).
    private static func refuse(_ problem: String?, _ type: MessageType) throws(ExecutorError) {
        if let problem { throw .unexpected("\(type) refused: \(problem)") }
    }

    private func linearStatistics(_ job: UInt64, _ index: Int, objective: Objective, payload: [Payload]) throws -> Message {
        guard case .raw(let data, _) = try shard(job, index) else {
            throw ExecutorError.unexpected("shard \(index) of job \(job) holds no rows for a linear model")
        }
        guard let frame = payload.first, frame.dtype == .f64, frame.count == data.columns + 1 else {
            throw ExecutorError.unexpected("GRADIENT_REQUEST for a linear model needs f64[\(data.columns + 1)] parameters")
        }
        let w = frame.values(as: Double.self)
        let loss = LinearLoss(objective: objective)
        let stats = switch data {
        case .dense(let m, let labels): loss.statistics(features: m, labels: labels, parameters: w, threads: threads)
        case .sparse(let m, let labels): loss.statistics(features: m, labels: labels, parameters: w, threads: threads)
        }
        return ShardCalls.Gradient.reply(GradientMaxima(shard: index), payload: [.float64([stats.loss] + stats.gradient)])
    }

    private static func countsPayload(_ counts: [(left: Int, right: Int)]) -> Payload {
        Payload(dtype: .i64, frame: ZMQFrame(adopting: counts.flatMap { [Int64($0.left), Int64($0.right)] }))
    }

    /// Checks BIN_CUTS arrays: each feature's cuts at most 255 (bins, the missing one included,
    /// are bytes) and strictly ascending.
    static func cuts(_ arrays: [[Float]]?) throws(ExecutorError) -> QuantileCuts {
        guard let arrays else { throw .unexpected("BIN_CUTS needs i64 cut counts and f32 cuts that add up") }
        for (feature, cuts) in arrays.enumerated() {
            guard cuts.count <= 255, zip(cuts, cuts.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw .unexpected("BIN_CUTS cuts of feature \(feature) are not at most 255 strictly ascending values")
            }
        }
        return QuantileCuts(cuts: arrays)
    }
}

/// Why a worker refused a request.
public enum ExecutorError: Error, Sendable, CustomStringConvertible {
    case unknownShard(job: UInt64, shard: Int)
    case unexpected(String)
    /// A PREDICT_REQUEST's model file does not have the SHA-256 it names.
    case modelChecksum(expected: String, actual: String)

    var code: ErrorCode {
        switch self {
        case .unknownShard: .unknownShard
        case .unexpected: .unexpectedMessage
        case .modelChecksum: .checksumMismatch
        }
    }

    public var description: String {
        switch self {
        case .unknownShard(let job, let shard): "this worker holds no shard \(shard) of job \(job)"
        case .unexpected(let reason): reason
        case .modelChecksum(let expected, let actual): "model file checksum mismatch: expected sha256 \(expected), got \(actual)"
        }
    }
}
