import DistributedTraining
import Foundation
import Logging
import Synchronization
import TrainyardML
import TrainyardProtocol
import Tuning

/// Runs a tuning study's job on the cluster: the ``Study`` (a value) proposes trials and judges
/// their rounds; this shell runs up to `parallel` of them at once, each a job of its own
/// (`parent` = the study) trained by a ``ClusterEngine`` on workers it leases
/// (``WorkerLeases``), and journals every study event so that a restarted coordinator replays
/// the study and runs its unfinished trials again (from their last saved round).
///
/// The data is read once per study. Workers keep each shard they receive by content, so every
/// trial after the first on a worker ships nothing (SHARD_BEGIN `reuse`); the bin cuts of the
/// trials' rows are agreed once (``CutsCache``). The best complete trial's model becomes the
/// study's, with its lineage, and is published.
final class StudyRunner: Sendable {
    private struct State: Sendable {
        var study: Study
        var job: JobInfo
        var trials: [Int: TrialInfo]
        /// Trials that were running when the coordinator stopped: run again first.
        var resume: [Int]
        var leases = WorkerLeases()
    }

    private let scheduler: JobScheduler
    /// The study's job id.
    private let id: UInt64
    private let plan: StudyPlan
    /// The metric the study optimises, checked against the objective the data gives.
    let metric: TuningMetric
    private let base: TrainingSpec
    private let train: Table
    private let validation: Table?
    private let request: TrainingRequest
    private let state: Mutex<State>
    private let leaseFreed = NSCondition()
    private let cuts = CutsCache()
    private let cancelled: @Sendable () -> Bool
    private var logger: Logger { scheduler.logger }
    private var store: JobStore { scheduler.store }

    /// Prepares study `job`: reads its data, checks its metric against the objective the data
    /// gives, and replays its journal. Throws (the study then fails before any trial) naming
    /// the problem.
    init(job: JobInfo, scheduler: JobScheduler, cancelled: @escaping @Sendable () -> Bool) throws {
        guard let plan = job.study else { preconditionFailure("job \(job.id) is not a study") }
        self.scheduler = scheduler
        id = job.id
        self.plan = plan
        self.cancelled = cancelled
        let data = try scheduler.load(job.spec)
        (base, train, validation, request) = (data.spec, data.train, data.validation, data.request)
        let objective = try TrainingPipeline.objective(base, train: train)
        metric = try TuningMetric(plan.metric, direction: plan.direction, objective: objective)
        var study = try plan.study(metric: metric, rounds: StudyPlan.budget(of: base), seed: base.gbdt.seed)
        study.replay(try scheduler.store.events(study: job.id))
        let trials = Dictionary(uniqueKeysWithValues: try scheduler.store.trials(study: job.id).map { ($0.trial, $0) })
        let resume = study.trials.filter { $0.state == .running }.map(\.id)
        state = Mutex(State(study: study, job: job, trials: trials, resume: resume))
    }

    /// Runs the study's trials until the budget is spent, it is cancelled or the coordinator
    /// stops; returns the study's job with its summary (its final state is the caller's).
    func run() -> JobInfo {
        let group = DispatchGroup()
        for _ in 0..<plan.parallel {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while let (trial, resumed) = next() { run(trial, resumed: resumed) }
            }
            thread.name = "trainyard-trial"
            thread.start()
        }
        group.wait()
        return state.withLock { $0.job }
    }

    /// The best complete trial and its model file, if any trial completed.
    var best: (trial: TrialInfo, job: JobInfo)? {
        guard let best = state.withLock({ state in state.study.best.flatMap { state.trials[$0.id] } }),
              let id = best.job, let job = try? store.job(id), job.modelPath != nil else { return nil }
        return (best, job)
    }

    /// Counts of the trials by state, for a failure message.
    var counts: String {
        state.withLock { state in
            Dictionary(grouping: state.study.trials, by: \.state).map { "\($0.value.count) \($0.key.rawValue)" }.sorted().joined(separator: ", ")
        }
    }

    /// The next trial to train: one to resume, else a new one from the study (journaled).
    private func next() -> (TrialRecord, resumed: Bool)? {
        if cancelled() { return nil }
        return state.withLock { state -> (TrialRecord, resumed: Bool)? in
            if !state.resume.isEmpty {
                let id = state.resume.removeFirst()
                return (state.study.trials[id], true)
            }
            guard let trial = state.study.startTrial() else { return nil }
            journal(.started(trial: trial.id, parameters: trial.parameters))
            var info = TrialInfo(trial: trial.id, parameters: trial.parameters, state: .running)
            info.startedAt = Date().timeIntervalSince1970
            update(info, in: &state)
            return (trial, false)
        }
    }

    /// Trains one trial to its end (or its pruning) and records the outcome.
    private func run(_ trial: TrialRecord, resumed: Bool) {
        var spec: TrainingSpec
        do {
            spec = try TrainingParameterNames.apply(trial.parameters, to: base)
            // Rounds are judged on the study's own metric, so a scheduler keeps what the study is looking for.
            if plan.judgesRounds { spec.gbdt.evalMetric = String(metric.name.dropFirst("valid.".count)) }
            try spec.validate()
        } catch {
            return finish(trial.id, value: nil, reason: "\(error)", engine: nil)
        }
        let trialJob: JobInfo
        do {
            trialJob = try trialJobInfo(trial.id, spec: spec)
        } catch {
            logger.error("cannot save a trial's job", metadata: ["trial": "\(trial.id)", "error": "\(error)"])
            return finish(trial.id, value: nil, reason: "the coordinator could not save the trial's job (see its log)", engine: nil)
        }
        guard let workers = lease(trial.id) else {
            if cancelled() { return }
            return finish(trial.id, value: nil, reason: ClusterError.noWorkers(waited: scheduler.settings.workerWait).description, engine: nil)
        }
        defer { release(trial.id) }
        if resumed { logger.info("resuming a trial", metadata: ["study": "\(id)", "trial": "\(trial.id)"]) }
        let stopped = Atomic(false)
        let trialID = trialJob.id, store = self.store, logger = self.logger, cancelled = self.cancelled
        let engine = ClusterEngine(job: trialJob, workers: workers, link: scheduler.link, store: store, settings: scheduler.settings,
                                   logger: logger, cancelled: { [scheduler] in cancelled() || scheduler.isCancelRequested(trialID) }) { info in
            do { try store.update(info) } catch { logger.error("cannot save trial progress", metadata: ["error": "\(error)"]) }
        }
        engine.shouldStop = { stopped.load(ordering: .relaxed) }
        engine.cutsCache = cuts
        state.withLock { state in
            var info = state.trials[trial.id]!
            info.workers = workers
            update(info, in: &state)
        }
        let request = spec.request(datasetSHA256: self.request.datasetSHA256, software: self.request.software)
        do {
            let (_, metrics, path) = try scheduler.trainModel(engine, train: train, validation: validation, request: request,
                                                              linearIterations: plan.judgesRounds) { progress in
                guard self.plan.judgesRounds, let value = progress.valid else { return }
                if self.report(trial.id, round: progress.round, value: value) == .stop { stopped.store(true, ordering: .relaxed) }
            }
            var job = engine.job
            job.modelPath = path
            job.metrics = metrics
            let pruned = stopped.load(ordering: .relaxed)
            scheduler.finish(&job, state: .succeeded, reason: pruned ? "stopped early by the study's scheduler" : nil)
            finish(trial.id, value: metrics[metric.name], reason: metrics[metric.name] == nil ? "the model has no \(metric.name)" : nil,
                   engine: job)
        } catch ClusterError.cancelled where scheduler.isStopping {
            return  // resumed on restart
        } catch {
            var job = engine.job
            let studyCancelled = cancelled()
            let reason = studyCancelled ? "cancelled with the study"
                : scheduler.isCancelRequested(trialID) ? "cancelled by request" : RedactedError(error).description
            scheduler.finish(&job, state: studyCancelled || scheduler.isCancelRequested(trialID) ? .cancelled : .failed, reason: reason)
            finish(trial.id, value: nil, reason: reason, engine: job)
        }
        for worker in Set(engine.job.assigned) {
            scheduler.link.notify(.encoding(.jobAbort, JobAbort(reason: "trial finished")), to: worker, job: trialID)
        }
    }

    /// The trial's job: the one it had (a resumed trial continues from its saved rounds), or a new one.
    private func trialJobInfo(_ trial: Int, spec: TrainingSpec) throws -> JobInfo {
        let existing = state.withLock { $0.trials[trial]?.job }
        if let existing, var job = try store.job(existing) {
            job.recoveries += 1
            return job
        }
        let job = try store.insertTrial(spec: spec, workers: plan.workersPerTrial, parent: id, trial: trial)
        state.withLock { state in
            var info = state.trials[trial]!
            info.job = job.id
            update(info, in: &state)
        }
        return job
    }

    /// Records a judged round and returns the study's decision (journaled). A round the trial
    /// reported before (it resumed, or a linear fit restarted after a lost worker) is not judged again.
    private func report(_ trial: Int, round: Int, value: Double) -> SchedulerDecision {
        state.withLock { state in
            if let last = state.trials[trial]?.rungs.last, round <= last.round { return .continue }
            let decision = state.study.report(trial: trial, resource: round, loss: metric.direction.loss(value))
            journal(.reported(trial: trial, resource: round, loss: metric.direction.loss(value)))
            var info = state.trials[trial]!
            info.rungs.append(RungValue(round: round, value: value))
            info.value = value
            if decision == .stop { info.state = .pruned }
            update(info, in: &state)
            return decision
        }
    }

    /// Ends a trial in the study (journaled) and in its row.
    private func finish(_ trial: Int, value: Double?, reason: String?, engine job: JobInfo?) {
        state.withLock { state in
            state.study.finish(trial: trial, value: value, failed: value == nil)
            journal(.finished(trial: trial, value: value, failed: value == nil))
            var info = state.trials[trial]!
            let record = state.study.trials[trial]
            info.state = record.state
            info.value = record.value
            info.reason = reason
            info.finishedAt = Date().timeIntervalSince1970
            if let job { info.shardBytes = job.shardBytes }
            update(info, in: &state)
        }
        logger.info("trial finished", metadata: ["study": "\(id)", "trial": "\(trial)",
                                                 "value": "\(value.map { "\($0)" } ?? "-")", "reason": "\(reason ?? "")"])
    }

    /// Saves a trial's row and the study's summary.
    private func update(_ info: TrialInfo, in state: inout State) {
        state.trials[info.trial] = info
        state.job.studySummary = StudySummary(state.trials.values.sorted { $0.trial < $1.trial }, direction: metric.direction)
        do {
            try store.save(info, study: id)
            try store.update(state.job)
        } catch {
            logger.error("cannot save a trial", metadata: ["trial": "\(info.trial)", "error": "\(error)"])
        }
    }

    private func journal(_ event: StudyEvent) {
        do { try store.append(event, study: id) } catch {
            logger.error("cannot journal a study event; a restart may run a trial again", metadata: ["study": "\(id)", "error": "\(error)"])
        }
    }

    /// Waits until `plan.workersPerTrial` workers are free and alive and leases them, or `nil`
    /// when the study is cancelled or none free up within the scheduler's worker wait.
    private func lease(_ trial: Int) -> [String]? {
        let deadline = ContinuousClock.now + scheduler.settings.workerWait
        while !cancelled() {
            let alive = scheduler.link.aliveWorkers
            if let workers = state.withLock({ $0.leases.lease(plan.workersPerTrial, to: trial, alive: alive) }) { return workers }
            if ContinuousClock.now >= deadline { return nil }
            // Woken when a trial frees its workers; the timeout notices workers that register.
            leaseFreed.withLock { _ = leaseFreed.wait(until: Date(timeIntervalSinceNow: 0.2)) }
        }
        return nil
    }

    private func release(_ trial: Int) {
        state.withLock { $0.leases.release(trial) }
        leaseFreed.withLock { leaseFreed.broadcast() }
    }
}
