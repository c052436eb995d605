/// A distributed training job's shards as a value: which worker holds each shard, whether it
/// has the shard's rows and whether they are ready for the current step (binned, for trees),
/// which workers were dropped from the job, and how the job recovers when an exchange fails.
///
/// ``ClusterEngine`` is its shell: it feeds events (a failed exchange, time passing while no
/// worker can take the shards, a cancellation) with the link's view of the workers and the
/// time, and carries out the directives (JOB_ABORT, shipping shards again, waiting, failing).
/// It does no I/O and reads no clock, so every fault path — a lost worker, a worker that times
/// out or lies, all workers gone, a worker joining in time or too late — is unit-tested with a
/// hand-moved clock, as ``Membership`` is.
struct TrainingRun: Sendable {
    typealias Instant = ContinuousClock.Instant

    enum Event: Sendable {
        /// An exchange with the workers failed with `error`; `alive` are the live workers, `lost`
        /// those lost (died, left, re-registered) since they were last given shards.
        case failed(ClusterError, alive: [String], lost: Set<String>, now: Instant)
        /// Time passed (or membership changed) while waiting for a worker to take the shards.
        case tick(alive: [String], lost: Set<String>, now: Instant)
        /// The job was cancelled.
        case cancel
    }

    enum Directive: Sendable, Equatable {
        /// Tell `worker` it is dropped from the job (JOB_ABORT with this reason).
        case abort(worker: String, reason: String)
        /// Shard `shard` moves from `from` to `to`, which will be sent its rows.
        case move(shard: Int, from: String, to: String)
        /// No worker can take the shards yet: feed a tick when membership changes, at the latest at `until`.
        case waitForWorkers(until: Instant)
        /// Recovered: the lost workers `forgiving` get fresh shards from now on; place the shards and go on.
        case resume(forgiving: Set<String>)
        /// The job fails with this error.
        case fail(ClusterError)
    }

    /// The worker holding each shard, by shard index.
    private(set) var placement: [String]
    /// Whether each shard's worker has its rows, and whether they are ready for the current step.
    private(set) var shipped: [Bool]
    private(set) var ready: [Bool]
    /// Workers dropped from the job (timed out, sent an invalid reply), with why.
    private(set) var failed: [String: String] = [:]
    private(set) var recoveries = 0
    /// Attempts at training so far; after the first, every shard replays the checkpoint.
    private(set) var attempts = 0
    /// How long the job waits for a live worker when none can take its shards.
    let workerWait: Duration
    /// While recovering: when the wait ends, and the workers lost so far.
    private var recovering: (deadline: Instant, lost: Set<String>)?

    /// `shards` shards spread round-robin over `workers`.
    init(shards: Int, workers: [String], workerWait: Duration) {
        precondition(shards >= 1 && !workers.isEmpty)
        placement = (0..<shards).map { workers[$0 % workers.count] }
        shipped = Array(repeating: false, count: shards)
        ready = shipped
        self.workerWait = workerWait
    }

    /// Shards not ready for the current step, in order.
    var pending: [Int] { placement.indices.filter { !ready[$0] } }

    /// `shards` now have their rows and are ready.
    mutating func placed(_ shards: [Int]) {
        for shard in shards {
            shipped[shard] = true
            ready[shard] = true
        }
    }

    /// New bin cuts: every shard must be binned again (its rows stay).
    mutating func cutsChanged() { ready = ready.map { _ in false } }

    /// Starts an attempt at training; returns whether the shards must replay the checkpoint
    /// (a later attempt: a lost round may have reached some shards' margins).
    mutating func beginAttempt() -> Bool {
        attempts += 1
        return attempts > 1
    }

    mutating func handle(_ event: Event) -> [Directive] {
        switch event {
        case .cancel:
            recovering = nil
            return [.fail(.cancelled)]
        case .failed(let error, let alive, let lost, let now):
            var directives: [Directive] = []
            if let worker = error.failedWorker {
                failed[worker] = error.description
                directives.append(.abort(worker: worker, reason: "dropped from the job: \(error)"))
            } else {
                guard case .workersLost = error else { return [.fail(error)] }
            }
            recovering = (now + workerWait, lost)
            return directives + recover(alive: alive, lost: lost, now: now)
        case .tick(let alive, let lost, let now):
            guard let recovering else { return [] }
            return recover(alive: alive, lost: recovering.lost.union(lost), now: now)
        }
    }

    /// Moves the shards of lost and dropped workers to live ones, least loaded first (ties by
    /// id); surviving shards stay. With no live worker: wait until the deadline, then fail.
    private mutating func recover(alive: [String], lost: Set<String>, now: Instant) -> [Directive] {
        guard let deadline = recovering?.deadline else { return [] }
        recovering?.lost = lost
        let candidates = alive.filter { failed[$0] == nil }
        guard !candidates.isEmpty else {
            guard now < deadline else {
                recovering = nil
                return [.fail(failed.isEmpty ? .noWorkers(waited: workerWait) : .workersFailed(reasons: failed, waited: workerWait))]
            }
            return [.waitForWorkers(until: deadline)]
        }
        // A lost worker that registered again is alive but empty: its shards are shipped again too.
        let moving = placement.indices.filter { lost.contains(placement[$0]) || !candidates.contains(placement[$0]) }
        var load = Dictionary(grouping: placement.indices.filter { !moving.contains($0) }, by: { placement[$0] }).mapValues(\.count)
        var directives: [Directive] = []
        for shard in moving {
            let target = candidates.min { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }!
            directives.append(.move(shard: shard, from: placement[shard], to: target))
            placement[shard] = target
            shipped[shard] = false
            ready[shard] = false
            load[target, default: 0] += 1
        }
        recovering = nil
        recoveries += 1
        return directives + [.resume(forgiving: lost)]
    }
}
