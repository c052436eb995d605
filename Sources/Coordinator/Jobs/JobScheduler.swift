import DistributedTraining
import Foundation
import ModelRegistry
import Logging
import Synchronization
import TrainyardML
import TrainyardProtocol
import Tuning

/// Runs the coordinator's jobs one at a time on its own thread, in submission order, with
/// interrupted jobs (a coordinator restart) resumed first; validates submissions and
/// answers the job API from the ``JobStore``.
public final class JobScheduler: Sendable {
    public let settings: JobSettings
    let store: JobStore
    let link: ClusterLink
    let logger: Logger
    private let wake = NSCondition()
    private let cancelRequests = Mutex<Set<UInt64>>([])
    private let stopping = Mutex(false)
    private let software: String
    /// Where job data may be read from.
    let dataRoots: DataRoots

    init(settings: JobSettings, dataRoots: DataRoots, store: JobStore, link: ClusterLink, software: String, logger: Logger) {
        self.settings = settings
        self.dataRoots = dataRoots
        self.store = store
        self.link = link
        self.software = software
        self.logger = logger
    }

    // MARK: job API (called from the service loop)

    /// Validates and queues a job: every field within ``JobSubmitLimits``, the parameters
    /// valid, enough workers alive, the data a regular file under the data roots whose
    /// header has the label. Throws ``JobRequestError`` naming the problem (never quoting
    /// the file beyond its column names); nothing is queued then.
    ///
    /// It reads at most the data's first line (``DataHeader``), but callers still run it off
    /// the membership loop: the file system may be slow.
    public func submit(_ request: JobSubmit) throws(JobRequestError) -> JobInfo {
        do {
            try request.checkLimits()
        } catch {
            throw .limit(error)
        }
        if let predict = request.predict { return try submitPrediction(request, predict) }
        var spec = request.spec
        do {
            try spec.validate()
        } catch {
            throw .invalid("\(error)")
        }
        if let plan = request.study {
            do { try plan.check(rounds: StudyPlan.budget(of: spec)) } catch { throw .invalid("study: \(error)") }
        }
        // A study's trials each train on workersPerTrial workers.
        let workers = request.study?.workersPerTrial ?? request.workers
        let alive = link.aliveWorkers.count
        guard workers <= alive else {
            let what = request.study == nil ? "the job asks for" : "each trial asks for"
            throw .invalid("\(what) \(workers) workers but \(alive) \(alive == 1 ? "is" : "are") alive")
        }
        let modelName = request.modelName ?? request.defaultModelName
        guard ModelName.isValid(modelName) else { throw .invalid(RegistryError.invalidName(modelName, kind: "model name").description) }
        if let dataset = spec.data.dataset {
            spec.data = try fetch(dataset, spec.data)
        }
        let columns: [String]
        do {
            spec.data.path = try dataRoots.resolve(spec.data.path)
            if let path = spec.validationPath { spec.validationPath = try dataRoots.resolve(path) }
            columns = try DataHeader.columns(of: request.spec.data, realPath: spec.data.path)
        } catch let error as JobRequestError {
            throw error
        } catch {
            logger.info("job refused", metadata: ["data": "\(request.spec.data.path)", "error": "\(error)"])
            throw .invalid(RedactedError(error).description)
        }
        guard columns.contains(spec.label) else {
            throw .invalid("label column '\(spec.label)' is not in \(request.spec.data.path); columns: \(columns.joined(separator: ", "))")
        }
        let job: JobInfo
        do {
            job = try store.insert(spec: spec, workers: workers, modelName: modelName, study: request.study, publish: request.publish)
        } catch {
            logger.error("cannot queue a job", metadata: ["error": "\(error)"])
            throw .invalid("the coordinator could not queue the job: its job store failed (see the coordinator's log)")
        }
        logger.info(job.study == nil ? "job queued" : "study queued",
                    metadata: ["job": "\(job.id)", "workers": "\(job.workers)", "data": "\(spec.data.path)"])
        wake.withLock { wake.broadcast() }
        return job
    }

    /// Validates and queues a batch prediction job: the model resolved in the registry now (its
    /// version pinned, like a dataset's), the data readable under the data roots, the kept columns
    /// in its header, enough workers alive.
    private func submitPrediction(_ request: JobSubmit, _ predict: BatchPrediction) throws(JobRequestError) -> JobInfo {
        guard let registry = settings.registry else {
            throw .invalid("batch prediction reads its model from a registry: start the coordinator with --registry URL or --registry-listen ADDR")
        }
        let reference = predict.reference
        guard ModelName.isValid(reference.name), reference.alias.map(ModelName.isValid) ?? true else {
            throw .invalid("predict.model '\(predict.model.prefix(100))' must be NAME, NAME@ALIAS or NAME@VERSION")
        }
        let alive = link.aliveWorkers.count
        guard request.workers <= alive else {
            throw .invalid("the job asks for \(request.workers) workers but \(alive) \(alive == 1 ? "is" : "are") alive")
        }
        var pinned = predict
        do {
            if let version = reference.version {
                pinned.modelVersion = try registry.version(reference.name, version).version
            } else if let serving = try registry.serving(reference.name, alias: reference.alias ?? ModelName.production) {
                pinned.modelVersion = serving.version
            } else {
                throw JobRequestError.invalid("the registry has no model '\(reference.name)' with alias '\(reference.alias ?? ModelName.production)'")
            }
        } catch let error as JobRequestError {
            throw error
        } catch {
            throw .invalid("predict.model \(predict.model): \(error)")
        }
        var spec = request.spec
        if let dataset = spec.data.dataset { spec.data = try fetch(dataset, spec.data) }
        let columns: [String]
        do {
            spec.data.path = try dataRoots.resolve(spec.data.path)
            columns = try DataHeader.columns(of: request.spec.data, realPath: spec.data.path)
        } catch let error as JobRequestError {
            throw error
        } catch {
            throw .invalid(RedactedError(error).description)
        }
        if let missing = predict.keep.first(where: { !columns.contains($0) }) {
            throw .invalid("--keep column '\(missing)' is not in the data; columns: \(columns.joined(separator: ", "))")
        }
        do {
            let job = try store.insert(spec: spec, workers: request.workers, modelName: reference.name, predict: pinned)
            logger.info("batch prediction queued", metadata: ["job": "\(job.id)", "model": "\(reference.name)@\(pinned.modelVersion!)",
                                                              "data": "\(spec.data.dataset ?? spec.data.path)"])
            wake.withLock { wake.broadcast() }
            return job
        } catch {
            logger.error("cannot queue a job", metadata: ["error": "\(error)"])
            throw .invalid("the coordinator could not queue the job: its job store failed (see the coordinator's log)")
        }
    }

    /// A succeeded batch prediction job and its output file's bytes.
    public func output(_ id: UInt64) throws -> (job: JobInfo, bytes: [UInt8]) {
        guard let job = try store.job(id) else { throw JobRequestError.notFound(id) }
        guard job.predict != nil else { throw JobRequestError.invalid("job \(id) is not a batch prediction: get its model with JOB_MODEL") }
        guard job.state == .succeeded, let path = job.outputPath else {
            throw JobRequestError.invalid(job.state.isFinal ? "job \(id) \(job.state.rawValue): it has no output"
                                                            : "job \(id) is \(job.state.rawValue): its output is ready when it succeeds")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JobRequestError.invalid("job \(id)'s output file is missing on the coordinator (see its log)")
        }
        return (job, [UInt8](data))
    }

    /// `source` with its dataset fetched from the registry into the coordinator's copy (by
    /// SHA-256, written once) and pinned to the version fetched, so the job — and a restart —
    /// trains on exactly that version.
    func fetch(_ dataset: String, _ source: DatasetSource) throws(JobRequestError) -> DatasetSource {
        guard let fetcher = settings.datasets else {
            throw .invalid("spec.data.dataset needs a registry: start the coordinator with --registry URL or --registry-listen ADDR")
        }
        let reference: DatasetReference
        do { reference = try DatasetReference(parsing: dataset) } catch { throw .invalid("spec.data.dataset: \(error)") }
        var source = source
        do {
            let (version, sha256, bytes) = try fetcher.fetch(reference)
            let path = settings.datasetsDirectory + "/\(sha256).csv"
            if !FileManager.default.fileExists(atPath: path) {
                try FileManager.default.createDirectory(atPath: settings.datasetsDirectory, withIntermediateDirectories: true)
                try AtomicFile.write(bytes, to: path)
            }
            source.path = path
            source.format = "csv"
            source.dataset = "\(reference.name)@\(version)"
        } catch let error as RegistryError {
            throw .invalid("spec.data.dataset \(dataset): \(error)")
        } catch {
            logger.error("cannot keep a fetched dataset", metadata: ["dataset": "\(dataset)", "error": "\(error)"])
            throw .invalid("spec.data.dataset \(dataset): the coordinator could not store it (see its log)")
        }
        return source
    }

    public func list() throws -> [JobInfo] { try store.all() }

    public func show(_ request: JobRequest) throws -> JobReply {
        guard let job = try store.job(request.id) else { throw JobRequestError.notFound(request.id) }
        return JobReply(job: job, history: try store.history(job: job.id, from: request.historyFrom ?? 1),
                        trials: job.study == nil ? nil : try store.trials(study: job.id))
    }

    /// A succeeded job and the bytes of its model file, verified (header, length, checksum,
    /// structure) before they leave: a damaged file is refused rather than sent.
    public func model(_ id: UInt64) throws -> (job: JobInfo, bytes: [UInt8]) {
        guard let job = try store.job(id) else { throw JobRequestError.notFound(id) }
        guard job.state == .succeeded, let path = job.modelPath else {
            let why = job.state == .succeeded ? "" : job.reason.map { " (\($0))" } ?? ""
            throw JobRequestError.invalid(job.state.isFinal
                ? "job \(id) \(job.state.rawValue)\(why): it has no model"
                : "job \(id) is \(job.state.rawValue): its model is ready when it succeeds (wait with `trainyard jobs watch \(id)`)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            logger.error("a job's model file cannot be read", metadata: ["job": "\(id)", "path": "\(path)"])
            throw JobRequestError.invalid("job \(id)'s model file is missing on the coordinator (see its log)")
        }
        let bytes = [UInt8](data)
        do {
            _ = try ModelFile.decode(bytes, path: path)
        } catch {
            logger.error("a job's model file is damaged", metadata: ["job": "\(id)", "error": "\(error)"])
            throw JobRequestError.invalid("job \(id)'s model file on the coordinator is damaged (see its log)")
        }
        return (job, bytes)
    }

    /// Cancels a queued job at once, a running one at its next request to the workers.
    public func cancel(_ id: UInt64) throws -> JobInfo {
        guard var job = try store.job(id) else { throw JobRequestError.notFound(id) }
        switch job.state {
        case .queued:
            job.state = .cancelled
            job.reason = "cancelled before it started"
            job.finishedAt = Date().timeIntervalSince1970
            try store.update(job)
        case .running:
            cancelRequests.withLock { _ = $0.insert(id) }
        case .succeeded, .failed, .cancelled:
            break
        }
        return job
    }

    // MARK: the job thread

    /// Starts the job thread; it runs until ``stop()``.
    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "trainyard-jobs"
        thread.start()
    }

    func stop() {
        stopping.withLock { $0 = true }
        wake.withLock { wake.broadcast() }
    }

    var isStopping: Bool { stopping.withLock { $0 } }

    /// Whether `JOB_CANCEL` asked for job `id` while it runs.
    func isCancelRequested(_ id: UInt64) -> Bool { cancelRequests.withLock { $0.contains(id) } }

    private func loop() {
        while !isStopping {
            let next: JobInfo?
            do {
                next = try store.next()
            } catch {
                logger.error("cannot read the job table", metadata: ["error": "\(error)"])
                next = nil
            }
            guard let job = next else {
                wake.withLock { _ = wake.wait(until: Date(timeIntervalSinceNow: 1)) }
                continue
            }
            run(job)
        }
    }

    private func run(_ queued: JobInfo) {
        var job = queued
        let resuming = job.state == .running
        let id = job.id
        let cancelled: @Sendable () -> Bool = { [self] in
            cancelRequests.withLock { $0.contains(id) } || isStopping
        }
        // Wait for workers: a resumed job gives re-registering workers a few heartbeats.
        let wanted = job.workers
        let patience: Duration = resuming ? .seconds(5) : .zero
        let deadline = ContinuousClock.now + settings.workerWait
        let graceEnd = ContinuousClock.now + patience
        while link.aliveWorkers.count < wanted && ContinuousClock.now < graceEnd || link.aliveWorkers.isEmpty {
            if isStopping { return }
            if cancelled() { break }
            if ContinuousClock.now >= deadline {
                finish(&job, state: .failed, reason: ClusterError.noWorkers(waited: settings.workerWait).description)
                return
            }
            link.waitForMembershipChange(until: min(deadline, .now + .milliseconds(200)))
        }
        if resuming {
            job.recoveries += 1
            logger.info("resuming job after a coordinator restart", metadata: ["job": "\(id)"])
        }
        job.state = .running
        job.startedAt = job.startedAt ?? Date().timeIntervalSince1970
        if job.study != nil {
            runStudy(&job, cancelled: cancelled)
            cancelRequests.withLock { _ = $0.remove(id) }
            return
        }
        if job.predict != nil {
            runPrediction(&job, cancelled: cancelled)
            cancelRequests.withLock { _ = $0.remove(id) }
            return
        }
        let workers = Array(link.aliveWorkers.prefix(wanted))
        let store = self.store
        let engine = ClusterEngine(job: job, workers: workers, link: link, store: store, settings: settings, logger: logger,
                                   cancelled: cancelled) { [logger] info in
            do { try store.update(info) } catch { logger.error("cannot save job progress", metadata: ["error": "\(error)"]) }
        }
        do {
            try store.update(engine.job)
            logger.info("job started", metadata: ["job": "\(id)", "workers": "\(workers.joined(separator: ","))"])
            let data = try load(job.spec)
            let (model, metrics, path) = try trainModel(engine, train: data.train, validation: data.validation, request: data.request)
            job = engine.job
            job.modelPath = path
            job.metrics = metrics
            publish(model, job: &job)
            finish(&job, state: .succeeded, reason: nil)
        } catch ClusterError.cancelled where isStopping {
            logger.info("job paused for shutdown; it resumes on restart", metadata: ["job": "\(id)"])
            return
        } catch ClusterError.cancelled {
            job = engine.job
            finish(&job, state: .cancelled, reason: "cancelled by request")
        } catch {
            job = engine.job
            logger.warning("job error", metadata: ["job": "\(id)", "error": "\(error)"])
            finish(&job, state: .failed, reason: RedactedError(error).description)
        }
        for worker in Set(job.assigned) {
            link.notify(.encoding(.jobAbort, JobAbort(reason: "job \(job.state.rawValue)")), to: worker, job: id)
        }
        cancelRequests.withLock { _ = $0.remove(id) }
    }

    /// Runs a batch prediction job: the pinned model version from the registry (its SHA-256
    /// checked), the data scored across the workers, the output written (``BatchPredictionRun``).
    private func runPrediction(_ job: inout JobInfo, cancelled: @escaping @Sendable () -> Bool) {
        let id = job.id
        do {
            try store.update(job)
            guard let registry = settings.registry, let predict = job.predict, let version = predict.modelVersion else {
                throw JobRequestError.invalid("the job names no model version or the coordinator has no registry")
            }
            let name = predict.reference.name
            let bytes = try registry.artifact(name, version)
            let path = try dataRoots.resolve(job.spec.data.path)
            logger.info("batch prediction started", metadata: ["job": "\(id)", "model": "\(name)@\(version)"])
            let store = self.store, logger = self.logger
            let run = BatchPredictionRun(job: job, link: link, settings: settings, logger: logger, cancelled: cancelled) { info in
                do { try store.update(info) } catch { logger.error("cannot save job progress", metadata: ["error": "\(error)"]) }
            }
            job = try run.run(modelBytes: bytes, dataPath: path, name: "\(name) version \(version)")
            finish(&job, state: .succeeded, reason: nil)
        } catch ClusterError.cancelled where isStopping {
            logger.info("batch prediction paused for shutdown; it starts again on restart", metadata: ["job": "\(id)"])
        } catch ClusterError.cancelled {
            finish(&job, state: .cancelled, reason: "cancelled by request")
        } catch {
            logger.warning("batch prediction error", metadata: ["job": "\(id)", "error": "\(error)"])
            finish(&job, state: .failed, reason: RedactedError(error).description)
        }
    }

    /// Runs a study job to its end (or until the coordinator stops: it resumes on restart).
    private func runStudy(_ job: inout JobInfo, cancelled: @escaping @Sendable () -> Bool) {
        let id = job.id
        let runner: StudyRunner
        do {
            try store.update(job)
            runner = try StudyRunner(job: job, scheduler: self, cancelled: cancelled)
        } catch {
            logger.warning("study error", metadata: ["job": "\(id)", "error": "\(error)"])
            return finish(&job, state: .failed, reason: RedactedError(error).description)
        }
        logger.info("study started", metadata: ["job": "\(id)", "trials": "\(job.study!.trials)", "parallel": "\(job.study!.parallel)"])
        job = runner.run()
        if isStopping {
            logger.info("study paused for shutdown; it resumes on restart", metadata: ["job": "\(id)"])
            return
        }
        if cancelled() { return finish(&job, state: .cancelled, reason: "cancelled by request") }
        guard let (trial, trialJob) = runner.best, let path = trialJob.modelPath else {
            return finish(&job, state: .failed, reason: "no trial completed (\(runner.counts))")
        }
        do {
            // Lineage: the study and the trial that chose this model, in its training record (and so in the registry).
            var model = try ModelFile.read(path: path)
            let plan = job.study!
            let trials = job.studySummary.map { $0.complete + $0.pruned + $0.failed } ?? 0
            model.training.parameters.merge(plan.lineage(trial: trial.trial, of: trials, metric: runner.metric, seed: job.spec.gbdt.seed)) { $1 }
            model.training.parameters.merge([
                "tuning.study": "\(id)", "tuning.trialJob": "\(trialJob.id)",
                "tuning.parameters": trial.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
            ]) { $1 }
            model.training.jobID = id
            let studyPath = settings.modelsDirectory + "/job-\(id).model"
            try ModelFile.write(model, to: studyPath)
            job.modelPath = studyPath
            job.metrics = trialJob.metrics
            publish(model, job: &job)
            finish(&job, state: .succeeded, reason: nil)
        } catch {
            logger.warning("study error", metadata: ["job": "\(id)", "error": "\(error)"])
            finish(&job, state: .failed, reason: RedactedError(error).description)
        }
    }

    /// A job's data, read: the paths checked again (the file may have been replaced since the
    /// job was queued, or it was queued by a coordinator with other data roots).
    func load(_ spec: TrainingSpec) throws -> (spec: TrainingSpec, train: Table, validation: Table?, request: TrainingRequest) {
        var spec = spec
        spec.data.path = try dataRoots.resolve(spec.data.path)
        if let path = spec.validationPath { spec.validationPath = try dataRoots.resolve(path) }
        let (train, validation) = try spec.load()
        let request = spec.request(datasetSHA256: try FileFingerprint.sha256(path: spec.data.path), software: software)
        return (spec, train, validation, request)
    }

    /// Publishes a succeeded job's model to the registry, if there is one, recording the version
    /// or why publishing failed (the model stays written either way).
    func publish(_ model: TrainyardModel, job: inout JobInfo) {
        guard let publisher = settings.publisher, job.publish != false else { return }
        let name = job.modelName ?? JobSubmit(spec: job.spec, workers: job.workers).defaultModelName
        do {
            job.registryVersion = try publisher.publish(name: name, artifact: try ModelFile.encode(model), description: "job \(job.id)")
            logger.info("model published", metadata: ["job": "\(job.id)", "model": "\(name)", "version": "\(job.registryVersion!)"])
        } catch {
            job.publishError = "\(error)"
            logger.error("the model was written but not published", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Trains `engine`'s job and writes its model to the models directory (`job-ID.model`): the
    /// path of jobs and of a study's trials. The workers' replies were validated one by one; the
    /// model is checked as a whole too, so a job never succeeds with a model a reader would refuse.
    func trainModel(_ engine: ClusterEngine, train: Table, validation: Table?, request: TrainingRequest, linearIterations: Bool = false,
                    progress: ((TrainingProgress) -> Void)? = nil) throws -> (model: TrainyardModel, metrics: [String: Double], path: String) {
        let outcome = try TrainingPipeline.run(train: train, validation: validation, request: request, engine: engine,
                                               linearIterations: linearIterations, progress: progress)
        var model = outcome.model
        model.training.jobID = engine.job.id
        // Lineage: the registry dataset (name@version) the rows came from; the file's SHA-256 is recorded already.
        if let dataset = engine.job.spec.data.dataset { model.training.parameters["dataset"] = dataset }
        try model.validate()
        let path = settings.modelsDirectory + "/job-\(engine.job.id).model"
        try FileManager.default.createDirectory(atPath: settings.modelsDirectory, withIntermediateDirectories: true)
        try ModelFile.write(model, to: path)
        return (model, outcome.metrics, path)
    }

    func finish(_ job: inout JobInfo, state: JobState, reason: String?) {
        job.state = state
        job.reason = reason
        job.finishedAt = Date().timeIntervalSince1970
        do { try store.update(job) } catch { logger.error("cannot save job state", metadata: ["error": "\(error)"]) }
        logger.log(level: state == .succeeded ? .info : .warning, "job \(state.rawValue)", metadata: [
            "job": "\(job.id)", "reason": "\(reason ?? "")", "model": "\(job.modelPath ?? "")"])
    }
}

/// Why a job request was refused.
public enum JobRequestError: Error, Sendable, CustomStringConvertible {
    /// The request cannot run; the reason names the problem.
    case invalid(String)
    /// No job has this id.
    case notFound(UInt64)
    /// Nothing by this name or id (a pipeline, a pipeline run): the message says what.
    case unknown(String)
    /// A field is outside its limit (``JobSubmitLimits``).
    case limit(LimitViolation)

    public var description: String {
        switch self {
        case .invalid(let reason): reason
        case .notFound(let id): "no job \(id)"
        case .unknown(let what): what
        case .limit(let violation): violation.description
        }
    }

    /// The error reply to send the client.
    public var reply: ErrorReply {
        switch self {
        case .invalid(let reason): ErrorReply(code: .invalidRequest, message: reason)
        case .notFound, .unknown: ErrorReply(code: .notFound, message: description)
        case .limit(let violation): ErrorReply(violation)
        }
    }
}
