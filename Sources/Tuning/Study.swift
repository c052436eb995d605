/// A hyperparameter study as a value: which trial to run next, what to do with a trial's
/// intermediate results, and which trial is best. Shells (a local runner, the coordinator)
/// feed it events and carry out what it answers; it does no I/O and reads no clock, so a
/// seeded study with one trial at a time makes the same trials in the same order.
public struct Study: Sendable {
    public let direction: Direction
    /// Trials in all, and at most this many running at once.
    public let maxTrials: Int
    public let parallel: Int
    private var sampler: any Sampler
    private var scheduler: any TrialScheduler
    private var exhausted = false
    public private(set) var trials: [TrialRecord] = []

    public init(sampler: any Sampler, scheduler: any TrialScheduler = FIFOScheduler(), direction: Direction,
                maxTrials: Int, parallel: Int = 1) {
        precondition(maxTrials >= 1 && parallel >= 1)
        self.sampler = sampler
        self.scheduler = scheduler
        self.direction = direction
        self.maxTrials = maxTrials
        self.parallel = parallel
    }

    /// Trials running now.
    public var running: Int { trials.filter { $0.state == .running }.count }

    /// Starts the next trial if the budget and the parallelism allow and the sampler has one;
    /// returns it (its parameters to train with).
    public mutating func startTrial() -> TrialRecord? {
        guard !exhausted, trials.count < maxTrials, running < parallel else { return nil }
        guard let parameters = sampler.suggest(trial: trials.count, history: trials) else {
            exhausted = true
            return nil
        }
        let trial = TrialRecord(id: trials.count, parameters: parameters)
        trials.append(trial)
        return trial
    }

    /// Records a running trial's intermediate `loss` (smaller is better: the objective's
    /// validation loss, logloss, rmse or mlogloss, whatever the study's metric) at `resource`
    /// (boosting rounds) and returns the scheduler's decision; a trial told to stop is pruned.
    public mutating func report(trial id: Int, resource: Int, loss: Double) -> SchedulerDecision {
        guard trials.indices.contains(id), trials[id].state == .running else { return .stop }
        trials[id].intermediate[resource] = loss
        let decision = scheduler.report(trial: id, resource: resource, loss: loss)
        if decision == .stop { trials[id].state = .pruned }
        return decision
    }

    /// Ends a trial with its final `value` of the study's metric: `complete`, or `failed` when
    /// there is none. A pruned trial stays pruned, with the value of the model it had when it
    /// stopped; it never counts as the best.
    public mutating func finish(trial id: Int, value: Double?, failed: Bool = false) {
        guard trials.indices.contains(id), trials[id].state != .complete, trials[id].state != .failed else { return }
        if trials[id].state == .running { trials[id].state = failed || value == nil ? .failed : .complete }
        if let value { trials[id].value = value }
    }

    /// Feeds a fresh study (made from the same plan, seed and metric) the events of an earlier
    /// run of it, in order: its sampler and scheduler end in the state they had, its trials with
    /// the parameters, rung values, states and values they had. A started trial keeps the
    /// parameters it ran with even if this sampler would propose others (a changed version).
    /// Trials running when the events end stay running: the shell runs them again.
    public mutating func replay(_ events: [StudyEvent]) {
        for event in events {
            switch event {
            case .started(let id, let parameters):
                guard id == trials.count else { continue }
                if startTrial() == nil { trials.append(TrialRecord(id: id, parameters: parameters)) }
                trials[id].parameters = parameters
            case .reported(let id, let resource, let loss):
                _ = report(trial: id, resource: resource, loss: loss)
            case .finished(let id, let value, let failed):
                finish(trial: id, value: value, failed: failed)
            }
        }
    }

    /// No trial is running and none will start.
    public var isFinished: Bool { running == 0 && (exhausted || trials.count >= maxTrials) }

    /// The complete trial with the best value (ties: the earliest).
    public var best: TrialRecord? {
        trials.filter { $0.state == .complete && $0.value != nil }
            .reduce(nil) { best, trial in best.map { direction.isBetter(trial.value!, than: $0.value!) ? trial : $0 } ?? trial }
    }
}
