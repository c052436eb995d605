import Foundation

/// One run of a pipeline as `pipeline runs` and `pipeline run show` report it: its state, the
/// dataset version it works on, and each step with its timings, outputs and the reason a gate
/// stopped it.
public struct PipelineRunInfo: Sendable, Codable, Equatable {
    /// Where a run is: queued → running (→ waiting for approval) → succeeded | stopped | failed | cancelled.
    public enum State: String, Sendable, Codable, CaseIterable {
        case queued, running, waiting, succeeded, stopped, failed, cancelled

        /// Nothing will change any more.
        public var isFinal: Bool { [.succeeded, .stopped, .failed, .cancelled].contains(self) }
    }

    /// The steps of every run, in order.
    public enum StepName: String, Sendable, Codable, CaseIterable {
        case quality, train, evaluate, register, approve, promote
    }

    /// One step: pending until the run reaches it; a gate that says no is `stopped`.
    public struct Step: Sendable, Codable, Equatable {
        public enum State: String, Sendable, Codable {
            case pending, running, waiting, succeeded, stopped, failed, skipped
        }

        public var name: StepName
        public var state: State = .pending
        /// Unix seconds.
        public var startedAt: Double?
        public var finishedAt: Double?
        /// What the step produced or measured (job id, metric values, version…), as text.
        public var outputs: [String: String] = [:]
        /// Why it stopped or failed.
        public var reason: String?

        public init(name: StepName) { self.name = name }
    }

    /// What started the run.
    public enum Trigger: String, Sendable, Codable {
        /// `trainyard pipeline run`.
        case manual
        /// A new version of the source dataset.
        case newVersion = "new-version"
        /// The pipeline's interval schedule.
        case schedule
    }

    public var id: UInt64
    public var pipeline: String
    public var state: State
    public var trigger: Trigger
    /// `name@version` of the dataset, pinned when the run starts (a queued run triggered by
    /// uploads takes the newest version when it starts).
    public var dataset: String?
    public var steps: [Step]
    /// Unix seconds.
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Why the run stopped or failed: the step's reason.
    public var reason: String?
    /// The training job (or study) of the `train` step, and the version `register` published.
    public var job: UInt64?
    public var modelVersion: Int?
    /// The pipeline as it was when the run was queued: a later `pipeline apply` changes the next runs, not this one.
    public var spec: PipelineSpec?

    public init(id: UInt64, pipeline: String, trigger: Trigger, dataset: String?, createdAt: Double) {
        self.id = id
        self.pipeline = pipeline
        self.state = .queued
        self.trigger = trigger
        self.dataset = dataset
        self.steps = StepName.allCases.map(Step.init(name:))
        self.createdAt = createdAt
    }

    /// The step called `name`.
    public subscript(_ name: StepName) -> Step {
        get { steps[StepName.allCases.firstIndex(of: name)!] }
        set { steps[StepName.allCases.firstIndex(of: name)!] = newValue }
    }
}
