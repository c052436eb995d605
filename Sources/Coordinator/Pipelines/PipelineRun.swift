import DistributedTraining
import Foundation

/// One run of a pipeline as a value: it answers what to do next (``next()``) and is told what
/// happened (``start(dataset:at:)``, ``succeed(_:outputs:at:)``, ``stop(_:reason:at:)``, …).
/// The ``PipelineRunner`` executes the directives and saves the run after each change, so a
/// coordinator restart continues at the step the run was in: every directive may be repeated.
struct PipelineRun: Sendable, Equatable {
    typealias Step = PipelineRunInfo.StepName

    /// What the shell does next.
    enum Directive: Sendable, Equatable {
        /// Pin the run's dataset version (the latest unless the run names one) and start.
        case start
        /// Check the quality gate on the run's dataset.
        case checkQuality(dataset: String)
        /// Submit the training job (or study).
        case submit(JobSubmit)
        /// Look at the training job; the step ends when it does.
        case watch(job: UInt64)
        /// Score the candidate and the model the alias serves on the holdout.
        case evaluate(job: UInt64)
        /// Publish the candidate to the registry.
        case register(job: UInt64)
        /// Approve the registered version (approval `auto`).
        case approve(version: Int)
        /// Look at the version's approval (approval `manual`); the step ends when a person decides.
        case awaitApproval(version: Int)
        /// Point the alias at the version.
        case promote(version: Int)
        /// The run has ended.
        case none
    }

    private(set) var info: PipelineRunInfo
    let spec: PipelineSpec

    init(info: PipelineRunInfo, spec: PipelineSpec) {
        self.info = info
        self.spec = spec
    }

    /// The directive for the run's current state.
    func next() -> Directive {
        guard !info.state.isFinal else { return .none }
        guard info.state != .queued, let dataset = info.dataset else { return .start }
        guard let step = info.steps.first(where: { $0.state != .succeeded && $0.state != .skipped }) else { return .none }
        switch step.name {
        case .quality:
            return .checkQuality(dataset: dataset)
        case .train:
            guard let job = info.job else { return .submit(job(on: dataset)) }
            return .watch(job: job)
        case .evaluate:
            return info.job.map { .evaluate(job: $0) } ?? .none
        case .register:
            return info.job.map { .register(job: $0) } ?? .none
        case .approve:
            guard let version = info.modelVersion else { return .none }
            return spec.approval == .auto ? .approve(version: version) : .awaitApproval(version: version)
        case .promote:
            return info.modelVersion.map { .promote(version: $0) } ?? .none
        }
    }

    /// The job the train step submits: the pipeline's template on `dataset`, holding out the
    /// evaluation fraction, published by the register step rather than by the job.
    func job(on dataset: String) -> JobSubmit {
        var job = spec.job
        job.spec.data.dataset = dataset
        job.spec.validFraction = spec.evaluation.holdout
        job.modelName = spec.model
        job.publish = false
        return job
    }

    /// The run starts on `dataset` (`name@version`).
    mutating func start(dataset: String, at time: Double) {
        info.dataset = dataset
        info.state = .running
        info.startedAt = time
    }

    /// `step` began (its first directive went out).
    mutating func begin(_ step: Step, at time: Double) {
        guard info[step].state == .pending || info[step].state == .waiting else { return }
        if info[step].startedAt == nil { info[step].startedAt = time }
        info[step].state = .running
    }

    /// The train step's job was queued.
    mutating func submitted(job: UInt64, at time: Double) {
        begin(.train, at: time)
        info.job = job
        info[.train].outputs["job"] = "\(job)"
    }

    /// The register step published `version`.
    mutating func registered(version: Int, outputs: [String: String], at time: Double) {
        info.modelVersion = version
        succeed(.register, outputs: outputs.merging(["version": "\(version)"]) { $1 }, at: time)
    }

    /// `step` waits for something outside the coordinator (a person's approval).
    mutating func wait(_ step: Step, reason: String, at time: Double) {
        begin(step, at: time)
        info[step].state = .waiting
        info[step].reason = reason
        info.state = .waiting
    }

    /// `step` passed; the run ends when it was the last.
    mutating func succeed(_ step: Step, outputs: [String: String] = [:], at time: Double) {
        begin(step, at: time)
        info[step].state = .succeeded
        info[step].reason = nil
        info[step].finishedAt = time
        info[step].outputs.merge(outputs) { $1 }
        info.state = .running
        if info.steps.allSatisfy({ $0.state == .succeeded || $0.state == .skipped }) {
            info.state = .succeeded
            info.finishedAt = time
        }
    }

    /// A gate said no at `step`: the run stops there, the later steps skipped, nothing promoted.
    mutating func stop(_ step: Step, reason: String, outputs: [String: String] = [:], at time: Double) {
        end(step, as: .stopped, run: .stopped, reason: reason, outputs: outputs, at: time)
    }

    /// `step` could not be done (a job failed, the registry refused): the run fails there.
    mutating func fail(_ step: Step, reason: String, outputs: [String: String] = [:], at time: Double) {
        end(step, as: .failed, run: .failed, reason: reason, outputs: outputs, at: time)
    }

    /// Cancelled by request: the current step and the later ones end where they are.
    mutating func cancel(at time: Double) {
        guard !info.state.isFinal else { return }
        let current = info.steps.first { $0.state != .succeeded && $0.state != .skipped }?.name
        if let current, info.state != .queued {
            end(current, as: .stopped, run: .cancelled, reason: "cancelled by request", outputs: [:], at: time)
        } else {
            for index in info.steps.indices where info.steps[index].state == .pending { info.steps[index].state = .skipped }
            info.state = .cancelled
            info.reason = "cancelled by request"
            info.finishedAt = time
        }
    }

    private mutating func end(_ step: Step, as stepState: PipelineRunInfo.Step.State, run state: PipelineRunInfo.State,
                              reason: String, outputs: [String: String], at time: Double) {
        if info[step].startedAt == nil { info[step].startedAt = time }
        info[step].state = stepState
        info[step].reason = reason
        info[step].finishedAt = time
        info[step].outputs.merge(outputs) { $1 }
        for index in info.steps.indices where info.steps[index].state == .pending { info.steps[index].state = .skipped }
        info.state = state
        info.reason = "\(step.rawValue): \(reason)"
        info.finishedAt = time
    }
}
