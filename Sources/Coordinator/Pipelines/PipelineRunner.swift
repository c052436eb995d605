import DistributedTraining
import Foundation
import Logging
import ModelRegistry
import Synchronization
import TrainyardML
import Tuning

/// Runs pipelines on the coordinator: on its own thread it starts runs when a pipeline's
/// dataset has a new version or its schedule is due, and advances every active run by executing
/// its ``PipelineRun`` directives (the training step through the ``JobScheduler``, the registry
/// steps through the ``PipelineRegistry``), saving the run after each change so a restart
/// continues where it was. Answers the pipeline API from the ``JobStore``.
///
/// Triggers coalesce: while a run of a pipeline is queued, new versions start no other run (the
/// queued run takes the newest version when it starts), so two uploads in quick succession give
/// at most one run in progress and one queued after it. Runs of one pipeline go one at a time,
/// oldest first; runs of different pipelines advance side by side.
final class PipelineRunner: Sendable {
    private let scheduler: JobScheduler
    private let store: JobStore
    private let registry: any PipelineRegistry
    private let interval: Duration
    private let logger: Logger
    private let wake = NSCondition()
    private let stopping = Mutex(false)
    private let cancelRequests = Mutex<Set<UInt64>>([])

    init(scheduler: JobScheduler, registry: any PipelineRegistry, logger: Logger) {
        self.scheduler = scheduler
        self.store = scheduler.store
        self.registry = registry
        self.interval = scheduler.settings.pipelinePollInterval
        self.logger = logger
    }

    private static var now: Double { Date().timeIntervalSince1970 }

    // MARK: pipeline API (called from the job request queue)

    /// Creates or replaces a pipeline; its runs, the versions it has seen and its schedule stay.
    func apply(_ request: PipelineApply) throws -> PipelineReply {
        let spec = request.spec
        do { try spec.validate(isValidName: ModelName.isValid) } catch { throw JobRequestError.invalid("pipeline \(error)") }
        do { try spec.job.checkLimits() } catch { throw JobRequestError.limit(error) }
        do { try spec.job.spec.validate() } catch { throw JobRequestError.invalid("pipeline train: \(error)") }
        if let plan = spec.job.study {
            do { try plan.check(rounds: StudyPlan.budget(of: spec.job.spec)) } catch { throw JobRequestError.invalid("pipeline tune: \(error)") }
        }
        let existing = try store.pipeline(spec.name)
        var info = existing ?? PipelineInfo(spec: spec, createdAt: Self.now, updatedAt: Self.now)
        let change = existing == nil ? "created" : existing!.spec == spec ? "unchanged" : "changed"
        if change != "unchanged" {
            info.spec = spec
            info.updatedAt = Self.now
            try store.save(info)
            logger.info("pipeline \(change)", metadata: ["pipeline": "\(spec.name)", "dataset": "\(spec.dataset)"])
        }
        poke()
        return PipelineReply(pipeline: try store.pipeline(spec.name) ?? info, change: change)
    }

    func list() throws -> [PipelineInfo] { try store.pipelines() }

    func show(_ name: String) throws -> PipelineInfo {
        guard let info = try store.pipeline(name) else { throw JobRequestError.unknown("no pipeline named '\(name.prefix(80))'") }
        return info
    }

    /// Queues a run now, on `request.dataset` (the pipeline's dataset at a version) or on the latest version.
    func run(_ request: PipelineRequest) throws -> PipelineRunInfo {
        let info = try show(request.name)
        var dataset: String?
        if let text = request.dataset {
            let reference: DatasetReference
            do { reference = try DatasetReference(parsing: text) } catch { throw JobRequestError.invalid("dataset: \(error)") }
            guard reference.name == info.spec.dataset else {
                throw JobRequestError.invalid("pipeline '\(request.name)' trains on dataset '\(info.spec.dataset)', not '\(reference.name)'")
            }
            guard let version = try registry.datasetVersion(reference) else {
                throw JobRequestError.invalid("no dataset named '\(reference.name)' in the registry")
            }
            dataset = version.reference
        }
        let run = try store.insert(Self.newRun(info.spec, trigger: .manual, dataset: dataset))
        logger.info("pipeline run queued", metadata: ["pipeline": "\(request.name)", "run": "\(run.id)", "trigger": "manual"])
        poke()
        return run
    }

    func runs(_ name: String) throws -> [PipelineRunInfo] {
        _ = try show(name)
        return try store.runs(pipeline: name)
    }

    func showRun(_ id: UInt64) throws -> PipelineRunReply {
        guard let run = try store.run(id) else { throw JobRequestError.unknown("no pipeline run \(id)") }
        return PipelineRunReply(run: run, job: try run.job.flatMap { try store.job($0) })
    }

    /// Cancels a run (and its training job) at the runner's next look, waiting up to 5 s for it.
    func cancelRun(_ id: UInt64) throws -> PipelineRunInfo {
        guard let run = try store.run(id) else { throw JobRequestError.unknown("no pipeline run \(id)") }
        guard !run.state.isFinal else {
            throw JobRequestError.invalid("pipeline run \(id) already \(run.state.rawValue)\(run.reason.map { " (\($0))" } ?? "")")
        }
        cancelRequests.withLock { _ = $0.insert(id) }
        poke()
        let deadline = Date(timeIntervalSinceNow: 5)
        while Date() < deadline {
            if let now = try store.run(id), now.state.isFinal { return now }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try store.run(id) ?? run
    }

    private static func newRun(_ spec: PipelineSpec, trigger: PipelineRunInfo.Trigger, dataset: String?) -> PipelineRunInfo {
        var run = PipelineRunInfo(id: 0, pipeline: spec.name, trigger: trigger, dataset: dataset, createdAt: now)
        run.spec = spec
        return run
    }

    // MARK: the pipeline thread

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "trainyard-pipelines"
        thread.start()
    }

    func stop() {
        stopping.withLock { $0 = true }
        poke()
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    private func poke() { wake.withLock { wake.broadcast() } }

    private func loop() {
        while !isStopping {
            do {
                try triggers()
                try advanceRuns()
            } catch {
                logger.error("pipelines: cannot read or write the job store", metadata: ["error": "\(error)"])
            }
            let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) * 1e-18
            wake.withLock { _ = wake.wait(until: Date(timeIntervalSinceNow: seconds)) }
        }
    }

    /// Queues runs for new dataset versions and due schedules.
    private func triggers() throws {
        for info in try store.pipelines() {
            let spec = info.spec
            if spec.triggers.newVersion {
                do {
                    if let latest = try registry.datasetVersion(DatasetReference(name: spec.dataset)),
                       latest.version > info.seenVersion ?? 0 {
                        try store.markSeen(pipeline: spec.name, version: latest.version)
                        try enqueue(spec, trigger: .newVersion, why: "dataset \(latest.reference)")
                    }
                } catch let error as RegistryError {
                    logger.warning("pipeline cannot look for new dataset versions", metadata: [
                        "pipeline": "\(spec.name)", "error": "\(error)"])
                }
            }
            if let every = spec.triggers.everySeconds, Self.now - (info.scheduledAt ?? info.updatedAt) >= every {
                try store.markScheduled(pipeline: spec.name, at: Self.now)
                try enqueue(spec, trigger: .schedule, why: "every \(every) s")
            }
        }
    }

    /// A triggered run, unless one is queued already (it will take the newest version).
    private func enqueue(_ spec: PipelineSpec, trigger: PipelineRunInfo.Trigger, why: String) throws {
        if let queued = try store.activeRuns().first(where: { $0.pipeline == spec.name && $0.state == .queued }) {
            logger.info("pipeline trigger coalesced into a queued run", metadata: [
                "pipeline": "\(spec.name)", "run": "\(queued.id)", "trigger": "\(trigger.rawValue)", "why": "\(why)"])
            return
        }
        let run = try store.insert(Self.newRun(spec, trigger: trigger, dataset: nil))
        logger.info("pipeline run queued", metadata: ["pipeline": "\(spec.name)", "run": "\(run.id)", "trigger": "\(trigger.rawValue)",
                                                      "why": "\(why)"])
    }

    /// Advances every active run as far as it goes without waiting; one run per pipeline at a time.
    private func advanceRuns() throws {
        let active = try store.activeRuns()
        var busy = Set(active.filter { $0.state != .queued }.map(\.pipeline))
        for info in active {
            if isStopping { return }
            if info.state == .queued {
                guard !busy.contains(info.pipeline) || cancelRequests.withLock({ $0.contains(info.id) }) else { continue }
                busy.insert(info.pipeline)
            }
            guard let spec = try info.spec ?? store.pipeline(info.pipeline)?.spec else { continue }
            var run = PipelineRun(info: info, spec: spec)
            advance(&run)
        }
    }

    private func save(_ run: PipelineRun) {
        do { try store.update(run.info) } catch { logger.error("cannot save a pipeline run", metadata: ["error": "\(error)"]) }
    }

    /// Executes `run`'s directives until it waits (a training job, a person) or ends.
    private func advance(_ run: inout PipelineRun) {
        let id = run.info.id
        if cancelRequests.withLock({ $0.remove(id) }) != nil {
            if let job = run.info.job, let info = try? store.job(job), !info.state.isFinal { _ = try? scheduler.cancel(job) }
            run.cancel(at: Self.now)
            save(run)
            logger.info("pipeline run cancelled", metadata: ["pipeline": "\(run.spec.name)", "run": "\(id)"])
            return
        }
        while !isStopping {
            let before = run
            let directive = run.next()
            let step = Self.step(of: directive)
            do {
                guard try execute(directive, on: &run) else {
                    if run != before { save(run) }
                    return
                }
            } catch {
                let reason = (error as? JobRequestError)?.description ?? (error as? RegistryError)?.description ?? "\(error)"
                run.fail(step ?? .quality, reason: reason, at: Self.now)
            }
            save(run)
            if run.info.state.isFinal {
                logger.log(level: run.info.state == .succeeded ? .info : .warning, "pipeline run \(run.info.state.rawValue)", metadata: [
                    "pipeline": "\(run.spec.name)", "run": "\(id)", "dataset": "\(run.info.dataset ?? "")",
                    "reason": "\(run.info.reason ?? "")", "version": "\(run.info.modelVersion.map(String.init) ?? "")"])
                return
            }
        }
    }

    private static func step(of directive: PipelineRun.Directive) -> PipelineRunInfo.StepName? {
        switch directive {
        case .start, .checkQuality: .quality
        case .submit, .watch: .train
        case .evaluate: .evaluate
        case .register: .register
        case .approve, .awaitApproval: .approve
        case .promote: .promote
        case .none: nil
        }
    }

    /// Executes one directive; `false` when the run waits (or has ended) and the runner moves on.
    private func execute(_ directive: PipelineRun.Directive, on run: inout PipelineRun) throws -> Bool {
        let spec = run.spec
        switch directive {
        case .none:
            return false
        case .start:
            let reference = try run.info.dataset.map { try DatasetReference(parsing: $0) } ?? DatasetReference(name: spec.dataset)
            guard let version = try registry.datasetVersion(reference) else {
                run.stop(.quality, reason: "dataset '\(spec.dataset)' has no versions in the registry (upload one with "
                         + "`trainyard datasets upload FILE --name \(spec.dataset)`)", at: Self.now)
                return true
            }
            run.start(dataset: version.reference, at: Self.now)
            logger.info("pipeline run started", metadata: ["pipeline": "\(spec.name)", "run": "\(run.info.id)", "dataset": "\(version.reference)"])
        case .checkQuality(let dataset):
            run.begin(.quality, at: Self.now)
            let source = try scheduler.fetch(dataset, spec.job.spec.data)
            let table: Table
            do {
                table = try source.read()
            } catch {
                run.stop(.quality, reason: "the data cannot be read: \(error)", at: Self.now)
                return true
            }
            let reference = try DatasetReference(parsing: dataset)
            let previous = try (reference.version ?? 1) > 1
                ? registry.datasetVersion(DatasetReference(name: reference.name, version: reference.version! - 1))?.columns : nil
            let check = QualityCheck(spec.quality, profile: DataProfile.profile(table, label: spec.job.spec.label),
                                     label: spec.job.spec.label, previous: previous)
            if let failure = check.failure {
                run.stop(.quality, reason: failure, outputs: check.outputs, at: Self.now)
            } else {
                run.succeed(.quality, outputs: check.outputs, at: Self.now)
            }
        case .submit(let job):
            let alive = scheduler.link.aliveWorkers.count, wanted = job.study?.workersPerTrial ?? job.workers
            guard alive >= wanted else {
                let reason = "waiting for \(wanted) worker\(wanted == 1 ? "" : "s") (\(alive) alive)"
                if run.info[.train].reason != reason { run.wait(.train, reason: reason, at: Self.now) }
                return false
            }
            let queued = try scheduler.submit(job)
            run.submitted(job: queued.id, at: Self.now)
        case .watch(let id):
            guard let job = try store.job(id) else {
                run.fail(.train, reason: "job \(id) is gone from the job store", at: Self.now)
                return true
            }
            switch job.state {
            case .queued, .running:
                return false
            case .succeeded:
                var outputs = ["job": "\(id)"]
                for (name, value) in job.metrics ?? [:] where name.hasPrefix("valid.") { outputs[name] = Self.format(value) }
                run.succeed(.train, outputs: outputs, at: Self.now)
            case .failed, .cancelled:
                run.fail(.train, reason: "job \(id) \(job.state.rawValue)\(job.reason.map { ": \($0)" } ?? "")", at: Self.now)
            }
        case .evaluate(let id):
            run.begin(.evaluate, at: Self.now)
            try evaluate(job: id, run: &run)
        case .register(let id):
            run.begin(.register, at: Self.now)
            guard let job = try store.job(id), let path = job.modelPath, let data = FileManager.default.contents(atPath: path) else {
                run.fail(.register, reason: "job \(id)'s model file is missing on the coordinator", at: Self.now)
                return true
            }
            let version = try registry.publish(name: spec.model, artifact: [UInt8](data),
                                               description: "pipeline \(spec.name) run \(run.info.id) on \(run.info.dataset ?? spec.dataset)")
            run.registered(version: version, outputs: ["model": spec.model], at: Self.now)
        case .approve(let version):
            run.begin(.approve, at: Self.now)
            try registry.approve(spec.model, version, reason: "pipeline \(spec.name) run \(run.info.id): gates passed (approval: auto)")
            run.succeed(.approve, outputs: ["by": "pipeline (approval: auto)"], at: Self.now)
        case .awaitApproval(let version):
            switch try registry.version(spec.model, version).status {
            case .approved:
                run.succeed(.approve, outputs: ["by": "a person (approval: manual)"], at: Self.now)
            case .rejected:
                run.stop(.approve, reason: "\(spec.model) version \(version) was rejected", at: Self.now)
            case .pending:
                let reason = "waiting for a person: trainyard models approve \(spec.model) \(version)"
                if run.info[.approve].state != .waiting { run.wait(.approve, reason: reason, at: Self.now) }
                return false
            }
        case .promote(let version):
            run.begin(.promote, at: Self.now)
            let previous = try registry.serving(spec.model, alias: spec.alias)?.version
            try registry.promote(spec.model, alias: spec.alias, to: version,
                                 reason: "pipeline \(spec.name) run \(run.info.id) on \(run.info.dataset ?? spec.dataset)")
            run.succeed(.promote, outputs: ["alias": spec.alias, "version": "\(version)",
                                            "previous": previous.map(String.init) ?? "none"], at: Self.now)
        }
        return true
    }

    /// The evaluation gate: the candidate's metric on the holdout against the threshold, and
    /// against the model the alias serves now, scored on the same rows.
    private func evaluate(job id: UInt64, run: inout PipelineRun) throws {
        let gate = run.spec.evaluation, label = run.spec.job.spec.label
        guard let job = try store.job(id), let path = job.modelPath else {
            return run.fail(.evaluate, reason: "job \(id) has no model on the coordinator", at: Self.now)
        }
        let candidate = try ModelFile.read(path: path)
        var source = job.spec.data
        source.path = try scheduler.dataRoots.resolve(source.path)
        let holdout = try Holdout(source: source, candidate: candidate, fraction: gate.holdout, seed: job.spec.gbdt.seed)
        var outputs = ["metric": gate.metric, "holdout_rows": "\(holdout.rows.count)"]
        guard let value = try holdout.score(candidate, metric: gate.metric, label: label) else {
            return run.fail(.evaluate, reason: "the candidate reports no \(gate.metric) (objective \(candidate.objective.name))", at: Self.now)
        }
        outputs["candidate"] = Self.format(value)
        let higher = Metrics.higherIsBetter(gate.metric)
        if let threshold = gate.threshold, higher ? value < threshold : value > threshold {
            return run.stop(.evaluate, reason: "candidate \(gate.metric) \(Self.format(value)) is \(higher ? "below" : "above") the threshold "
                            + "\(Self.format(threshold))", outputs: outputs, at: Self.now)
        }
        if let serving = try registry.serving(run.spec.model, alias: run.spec.alias) {
            outputs["production_version"] = "\(serving.version)"
            do {
                let production = try ModelFile.decode(try registry.artifact(run.spec.model, serving.version),
                                                      path: "\(run.spec.model) version \(serving.version)")
                if let current = try holdout.score(production, metric: gate.metric, label: label) {
                    outputs["production"] = Self.format(current)
                    let delta = gate.maxRegression ?? .infinity
                    if higher ? value < current - delta : value > current + delta {
                        return run.stop(.evaluate, reason: "candidate \(gate.metric) \(Self.format(value)) is worse than \(run.spec.alias) "
                                        + "(version \(serving.version)) \(Self.format(current)) by more than max_regression \(Self.format(delta))",
                                        outputs: outputs, at: Self.now)
                    }
                }
            } catch let error as RegistryError {
                throw error
            } catch {
                // A model from another schema cannot score these rows: the threshold alone decides.
                outputs["production_note"] = "cannot score the holdout: \(error)"
            }
        }
        run.succeed(.evaluate, outputs: outputs, at: Self.now)
    }

    private static func format(_ value: Double) -> String { String(format: "%.4f", value) }
}
