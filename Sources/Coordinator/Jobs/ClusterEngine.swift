import DistributedTraining
import Foundation
import Logging
import Synchronization
import TrainyardML
import TrainyardProtocol

/// Trains one job's estimator on workers: ships the rows in balanced shards, agrees the
/// bin cuts from the workers' samples, and drives boosting (or L-BFGS) through
/// ``RemoteShards``. When workers are lost it moves their shards to live workers and
/// continues from the last completed round; the model is the local one either way. A worker
/// that times out or sends an invalid reply is dropped from the job (JOB_ABORT) and its
/// shards move the same way; with nobody left to take them the job fails naming it.
final class ClusterEngine: TrainingEngine {
    /// The first error recorded by background work, for the thread that waits for it.
    final class FirstError: Sendable {
        private let error = Mutex<(any Error)?>(nil)

        func record(_ error: any Error) { self.error.withLock { $0 = $0 ?? error } }
        var value: (any Error)? { error.withLock { $0 } }
    }

    let link: ClusterLink
    let store: JobStore
    let settings: JobSettings
    let logger: Logger
    let cancelled: @Sendable () -> Bool
    /// Called whenever the job's record changes (placement, recoveries, progress, traffic),
    /// in order, on the persistence queue.
    let onChange: @Sendable (JobInfo) -> Void
    /// Writes checkpoints and job records in order, off the job thread, so workers start
    /// the next tree while a round is saved. ``flush()`` waits for the writes.
    private let persistence = DispatchQueue(label: "trainyard.coordinator.job-persistence")
    private let persistenceError = FirstError()
    private(set) var job: JobInfo
    /// Where the shards are and how the job recovers: the decisions, as a value.
    private var run: TrainingRun
    /// Asked after every boosting round; `true` ends boosting there with the model so far (a
    /// tuning scheduler pruning a trial).
    var shouldStop: (@Sendable () -> Bool)?
    /// Bin cuts agreed by earlier jobs on the same rows (a study's trials): a hit skips the sketch.
    var cutsCache: CutsCache?

    init(job: JobInfo, workers: [String], link: ClusterLink, store: JobStore, settings: JobSettings, logger: Logger,
         cancelled: @escaping @Sendable () -> Bool, onChange: @escaping @Sendable (JobInfo) -> Void) {
        self.job = job
        self.link = link
        self.store = store
        self.settings = settings
        self.logger = logger
        self.cancelled = cancelled
        self.onChange = onChange
        run = TrainingRun(shards: job.workers, workers: workers, workerWait: settings.workerWait)
        link.forgive(workers)
        self.job.assigned = run.placement
    }

    private var shipper: ShardShipper {
        ShardShipper(link: link, job: job.id, timeout: settings.requestTimeout, cancelled: cancelled)
    }

    private func descriptor(_ shard: Int, rows totalRows: Int, columns: Int, layout: ShardLayout) -> ShardDescriptor {
        let range = ShardDescriptor.rows(shard: shard, of: run.placement.count, totalRows: totalRows)
        return ShardDescriptor(index: shard, firstRow: range.lowerBound, rows: range.count, totalRows: totalRows,
                               columns: columns, layout: layout)
    }

    /// One call to one worker, within the request timeout.
    @discardableResult
    private func call<C: ShardCall>(_ call: C.Type, _ request: C.Request, payload: [Payload] = [],
                                    _ worker: String) throws(ClusterError) -> ShardReply<C.ReplyBody> {
        try link.call(call, request, payload: payload, to: worker, job: job.id, timeout: settings.requestTimeout, cancelled: cancelled)
    }

    private func publish() {
        let traffic = link.traffic
        job.bytesSent = traffic.sent
        job.bytesReceived = traffic.received
        let job = self.job, onChange = self.onChange
        persistence.async { onChange(job) }
    }

    /// Waits for the queued writes; throws the first checkpoint write that failed.
    private func flush() throws {
        persistence.sync {}
        if let error = persistenceError.value { throw error }
    }

    /// Recovers from a failed exchange as ``TrainingRun`` decides: a worker that timed out or
    /// sent an invalid reply is dropped from the job (JOB_ABORT), the shards of lost and dropped
    /// workers move to live ones, waiting up to `settings.workerWait` for one to appear
    /// (woken by membership changes); anything else fails the job.
    private func recover(from error: ClusterError) throws(ClusterError) {
        var directives = run.handle(.failed(error, alive: link.aliveWorkers, lost: link.lostWorkers, now: .now))
        while true {
            var deadline: ContinuousClock.Instant?
            for directive in directives {
                switch directive {
                case .abort(let worker, let reason):
                    logger.error("dropping a worker from the job; its shards move to other workers", metadata: [
                        "job": "\(job.id)", "worker": "\(worker)", "reason": "\(error)"])
                    link.notify(.encoding(.jobAbort, JobAbort(reason: reason)), to: worker, job: job.id)
                case .move(let shard, let from, let to):
                    logger.warning("moving a shard to a live worker", metadata: [
                        "job": "\(job.id)", "shard": "\(shard)", "from": "\(from)", "to": "\(to)"])
                case .resume(let lost):
                    link.forgive(Array(lost))
                    job.assigned = run.placement
                    job.recoveries += 1
                    publish()
                    return
                case .fail(let error):
                    throw error
                case .waitForWorkers(let until):
                    deadline = until
                }
            }
            guard let deadline else { return }
            link.waitForMembershipChange(until: min(deadline, .now + .milliseconds(200)))
            directives = cancelled() ? run.handle(.cancel) : run.handle(.tick(alive: link.aliveWorkers, lost: link.lostWorkers, now: .now))
        }
    }

    /// Ships every shard not yet on its worker, then has `prepare` ready each shard that is
    /// not (bins it, for trees). Shards go to their workers concurrently, one thread each, so
    /// workers receive and prepare in parallel.
    private func place(_ slice: (Range<Int>) -> ShardBytes, rows: Int, columns: Int, layout: ShardLayout,
                       prepare: (Int, String) throws(ClusterError) -> Void) throws(ClusterError) {
        let pending = run.pending
        let descriptors = pending.map { descriptor($0, rows: rows, columns: columns, layout: layout) }
        let workers = pending.map { run.placement[$0] }
        let needsShipping = pending.map { !run.shipped[$0] }
        let shipper = self.shipper
        var sizes = [Int](repeating: 0, count: pending.count)
        var failures = [ClusterError?](repeating: nil, count: pending.count)
        sizes.withUnsafeMutableBufferPointer { sizes in
            failures.withUnsafeMutableBufferPointer { failures in
                nonisolated(unsafe) let (sizes, failures, slice, prepare) = (sizes, failures, slice, prepare)
                DispatchQueue.concurrentPerform(iterations: pending.count) { i in
                    do throws(ClusterError) {
                        let descriptor = descriptors[i]
                        if needsShipping[i] {
                            let range = descriptor.firstRow..<descriptor.firstRow + descriptor.rows
                            sizes[i] = try shipper.ship(slice(range), descriptor: descriptor, to: workers[i])
                        }
                        try prepare(descriptor.index, workers[i])
                    } catch {
                        failures[i] = error
                    }
                }
            }
        }
        for (i, shard) in pending.enumerated() where failures[i] == nil {
            run.placed([shard])
            job.shardBytes += sizes[i]
        }
        publish()
        if let failure = failures.compactMap({ $0 }).first { throw failure }
    }

    func trainGBDT(_ trainer: GBDTTrainer, features: DenseMatrix, labels: [Float],
                   validation: (features: DenseMatrix, labels: [Float])?,
                   progress: ((TrainingProgress) -> Void)?) throws -> GBDTTrainer.Result {
        // Whatever happens, the job's queued records are written before the scheduler's.
        defer { persistence.sync {} }
        let p = trainer.parameters
        // The submit-time check saw only `spec.gbdt.objective`; the objective trained (inferred from the label, or
        // `spec.objective`) is known only now.
        let (total, overflow) = p.trees.multipliedReportingOverflow(by: p.objective.outputGroups)
        if overflow || total > JobSubmitLimits.totalTrees {
            throw ParameterError.invalid("trees", "\(p.trees) trees × \(p.objective.outputGroups) classes is more than the "
                                         + "coordinator's limit of \(JobSubmitLimits.totalTrees) trees per job")
        }
        let baseScore = p.baseScore ?? p.objective.defaultBaseScore(labels: labels)
        let baseMargin = p.objective.margin(fromBaseScore: baseScore)
        var checkpoint = try store.checkpoint(job: job.id)
        var cuts: QuantileCuts?
        let cutsKey = cutsCache.map { _ in CutsCache.key(features, maxBin: p.maxBin) }
        let rows = { ShardBytes.dense(features, labels: labels, rows: $0) }
        while true {
            let interrupted = run.beginAttempt()
            do {
                if cuts == nil, let cutsKey { cuts = cutsCache?[cutsKey] }
                if cuts == nil {
                    cuts = try sketchCuts(rows, features: features, maxBin: p.maxBin, threads: Parallel.resolve(threads: p.threads))
                    if let cutsKey { cutsCache?[cutsKey] = cuts }
                    run.cutsChanged()
                }
                let agreed = cuts!
                try bin(rows, features: features, cuts: agreed, objective: p.objective, baseMargin: baseMargin)
                // After an interruption every shard restarts from the checkpoint (even an empty
                // one: a lost round may have reached some shards' margins).
                if !checkpoint.trees.isEmpty || interrupted {
                    for (shard, worker) in run.placement.enumerated() {
                        try call(ShardCalls.Checkpoint.self,
                                 CheckpointReplay(shard: shard, trees: checkpoint.trees, treeGroups: checkpoint.treeGroups), worker)
                    }
                }
                var shards = RemoteShards(link: link, job: job.id, placement: run.placement, totalRows: features.rows,
                                          timeout: settings.requestTimeout, layout: HistogramLayout(binCounts: agreed.binCounts),
                                          threads: Parallel.resolve(threads: trainer.parameters.threads),
                                          wholeTrees: settings.wholeTreesOnOneWorker, logger: logger, cancelled: cancelled)
                let result = try trainer.boost(&shards, cuts: agreed, baseScore: baseScore, validation: validation,
                                               resume: checkpoint.trees.isEmpty ? nil : checkpoint,
                                               progress: progress) { next in
                    self.save(next, after: checkpoint)
                    checkpoint = next
                } shouldStop: { [shouldStop] in shouldStop?() ?? false }
                try flush()
                return result
            } catch let error as ClusterError {
                logger.warning("job interrupted; recovering", metadata: ["job": "\(job.id)", "reason": "\(error)"])
                try recover(from: error)
            }
        }
    }

    /// Bin cuts from the shards' samples, merged: the same as the local cuts. Ships the shards first.
    private func sketchCuts(_ rows: (Range<Int>) -> ShardBytes, features: DenseMatrix, maxBin: Int,
                            threads: Int) throws(ClusterError) -> QuantileCuts {
        try place(rows, rows: features.rows, columns: features.columns, layout: .denseF32) { _, _ in }
        var correlations: [UInt64] = []
        for (shard, worker) in run.placement.enumerated() {
            correlations.append(try link.send(ShardCalls.Sketch.self, ShardRef(shard: shard), to: worker, job: job.id))
        }
        var samples: [[[Float]]] = []
        let replies = try link.await(correlations, timeout: settings.requestTimeout, cancelled: cancelled)
        for (shard, reply) in replies.enumerated() {
            let shardRows = descriptor(shard, rows: features.rows, columns: features.columns, layout: .denseF32).rows
            let payload = try ClusterLink.decode(ShardCalls.Sketch.self, reply, from: run.placement[shard]).payload
            if let problem = Self.sketchProblem(payload, columns: features.columns, rows: shardRows) {
                throw .invalidReply(worker: run.placement[shard], reason: problem)
            }
            samples.append(FeatureArrays.arrays(payload)!)
        }
        return QuantileCuts.fromSamples(samples, maxBin: maxBin, threads: threads)
    }

    /// Ships the shards that are new (or moved) and sends every shard not yet binned the cuts.
    private func bin(_ rows: (Range<Int>) -> ShardBytes, features: DenseMatrix, cuts: QuantileCuts, objective: Objective,
                     baseMargin: Float) throws(ClusterError) {
        let payload = FeatureArrays.payload(cuts.cuts)
        try place(rows, rows: features.rows, columns: features.columns, layout: .denseF32) { shard, worker throws(ClusterError) in
            try call(ShardCalls.Cuts.self, BinCuts(shard: shard, objective: objective, baseMargin: baseMargin), payload: payload, worker)
        }
    }

    /// Saves a completed round (its progress and the trees added since `previous`) off the job
    /// thread, in order, and publishes the job's progress.
    private func save(_ next: GBDTTrainer.Checkpoint, after previous: GBDTTrainer.Checkpoint) {
        let added = Array(zip(next.trees, next.treeGroups).dropFirst(previous.trees.count))
        let store = self.store, job = self.job.id, firstPosition = previous.trees.count
        let errors = self.persistenceError
        persistence.async {
            do {
                try store.appendRound(job: job, progress: next.history.last!, trees: added.map { ($0.0, $0.1) },
                                      firstPosition: firstPosition)
            } catch { errors.record(error) }
        }
        self.job.progress = next.history.last
        publish()
    }

    /// What is wrong with a SKETCH_REPLY's frames from a shard of `rows` rows and `columns` features, if anything.
    ///
    /// The sample sizes are checked against the shard's rows before the values are cut into
    /// arrays: ``FeatureArrays/arrays(_:)`` adds them up, and sizes a worker made up (2^62 each)
    /// would overflow that sum and trap the coordinator (found by `CoordinatorPeerFuzzTests`).
    static func sketchProblem(_ payload: [Payload], columns: Int, rows: Int) -> String? {
        if let sizes = payload.first, sizes.dtype == .i64,
           let feature = sizes.values(as: Int64.self).firstIndex(where: { $0 > rows }) {
            return "SKETCH_REPLY sample of feature \(feature) has more values than the shard's \(rows) rows, or NaN"
        }
        guard let sample = FeatureArrays.arrays(payload) else {
            return "SKETCH_REPLY without an i64 and an f32 frame whose lengths add up"
        }
        guard sample.count == columns else { return "SKETCH_REPLY samples \(sample.count) features, the data has \(columns)" }
        if let feature = sample.firstIndex(where: { $0.count > rows || $0.contains(where: \.isNaN) }) {
            return "SKETCH_REPLY sample of feature \(feature) has more values than the shard's \(rows) rows, or NaN"
        }
        return nil
    }

    func trainLinear(_ trainer: LinearTrainer, features: SparseMatrix, labels: [Float],
                     afterIteration: ((Int, LinearModel) -> Bool)?) throws -> LinearTrainer.Result {
        defer { persistence.sync {} }
        let objective = trainer.parameters.objective
        while true {
            do {
                try place({ ShardBytes.sparse(features, labels: labels, rows: $0) }, rows: features.rows,
                          columns: features.columns, layout: .csrF32) { _, _ in }
                let shards = RemoteShards(link: link, job: job.id, placement: run.placement, totalRows: features.rows,
                                          timeout: settings.requestTimeout, cancelled: cancelled)
                let stop = { [shouldStop] (iteration: Int, model: LinearModel) -> Bool in
                    (afterIteration?(iteration, model) ?? false) || (shouldStop?() ?? false)
                }
                return try trainer.fit(columns: features.columns, afterIteration: stop) { (w: [Double]) throws(ClusterError) in
                    try shards.linearStatistics(w, objective: objective)
                }
            } catch {
                logger.warning("job interrupted; recovering", metadata: ["job": "\(job.id)", "reason": "\(error)"])
                try recover(from: error)
            }
        }
    }
}

/// How the coordinator runs jobs.
public struct JobSettings: Sendable {
    /// Where the job database and the trained models live.
    public var stateDirectory: String
    /// How long a job whose workers are all gone waits for a live one before failing.
    public var workerWait: Duration = .seconds(30)
    /// The longest one exchange with the workers may take (a request, or requests sent back
    /// to back, until every reply is in). A worker still owing a reply then is treated as
    /// failed: dropped from the job, its shards moved to other workers. Default 60 s, far
    /// above any one request on shards of millions of rows (the slowest are SHARD_END, which
    /// hashes and decodes a shard, and TREE_GROW of a deep tree); raise it for larger shards.
    public var requestTimeout: Duration = .seconds(60)
    /// Whether a job on one shard has its worker grow whole trees (one exchange per tree)
    /// rather than every level through the coordinator; the model is the same either way.
    public var wholeTreesOnOneWorker = true
    /// Where successful jobs' models are published (nil: they are only written to ``modelsDirectory``).
    public var publisher: (any ModelPublisher)?
    /// Directories a job's data files must lie under (after symbolic links are resolved);
    /// only regular files there are read. Default: the coordinator's working directory.
    public var dataRoots: [String] = [FileManager.default.currentDirectoryPath]

    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    /// Where `--dataset` jobs' data come from (nil: jobs must name files with `--data`).
    public var datasets: (any DatasetFetcher)?
    /// The registry pipelines watch, publish to and promote in (nil: no pipelines run).
    public var registry: (any PipelineRegistry)?
    /// How often pipelines look for new dataset versions, due schedules and runs to advance.
    public var pipelinePollInterval: Duration = .seconds(2)
    public var databasePath: String { stateDirectory + "/jobs.sqlite" }
    /// Fetched datasets, by SHA-256: a data root of its own.
    public var datasetsDirectory: String { stateDirectory + "/datasets" }
    public var modelsDirectory: String { stateDirectory + "/models" }
}
