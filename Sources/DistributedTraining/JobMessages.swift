import Foundation
import TrainyardML
import Tuning

/// Where a job is in its life: queued → running → succeeded | failed | cancelled.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    /// Succeeded, failed or cancelled: nothing will change any more.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// A job as `jobs list` and `jobs show` report it.
public struct JobInfo: Sendable, Codable, Equatable {
    public var id: UInt64
    public var state: JobState
    public var spec: TrainingSpec
    /// Workers (shards) the job was submitted for.
    public var workers: Int
    /// The workers holding its shards, in shard order (one may hold several after a failure).
    public var assigned: [String] = []
    /// Why it failed or was cancelled.
    public var reason: String?
    /// Unix times in seconds.
    public var submittedAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// The last round's progress.
    public var progress: TrainingProgress?
    /// Times the job recovered from a lost worker or resumed after a coordinator restart.
    public var recoveries = 0
    /// On success: the model file the coordinator wrote, and its metrics.
    public var modelPath: String?
    public var metrics: [String: Double]?
    /// The registry name the model is published under.
    public var modelName: String?
    /// On success with a registry: the version the model was published as, or why publishing failed.
    public var registryVersion: Int?
    public var publishError: String?
    /// Bytes of requests and shard data sent to workers, and of their replies.
    public var bytesSent: Int = 0
    public var bytesReceived: Int = 0
    /// Of ``bytesSent``, the bytes of shard data (rows shipped to workers, re-shipments included).
    public var shardBytes: Int = 0
    /// A tuning study's plan: the job runs trials (each a job of its own, `parent` = this job)
    /// and its model is the best trial's.
    public var study: StudyPlan?
    /// A study's trials so far, for lists (``StudySummary``).
    public var studySummary: StudySummary?
    /// A trial's study job, and the trial's number in it.
    public var parent: UInt64?
    public var trial: Int?
    /// `false`: the coordinator keeps the model and does not publish it (a pipeline's job,
    /// whose register step publishes it after the evaluation gate).
    public var publish: Bool?
    /// A batch prediction job: what it scores with, and its progress. Its output is a CSV file
    /// (``outputPath``, fetched with JOB_OUTPUT) rather than a model.
    public var predict: BatchPrediction?
    public var outputPath: String?

    public init(id: UInt64, state: JobState, spec: TrainingSpec, workers: Int, submittedAt: Double) {
        self.id = id
        self.state = state
        self.spec = spec
        self.workers = workers
        self.submittedAt = submittedAt
    }
}

/// JOB_SUBMIT: train `spec` over `workers` workers.
public struct JobSubmit: Sendable, Codable, Equatable {
    public var spec: TrainingSpec
    public var workers: Int
    /// The registry name to publish the model under (default: the data file's name without extension).
    public var modelName: String?
    /// A tuning study: `spec` is every trial's base, the plan's parameters override it, and
    /// each trial trains on `plan.workersPerTrial` workers (`workers` is ignored).
    public var study: StudyPlan?
    /// `false`: keep the model on the coordinator without publishing it to the registry.
    public var publish: Bool?
    /// A batch prediction job: `spec.data` is scored with this model (`spec.label` is not read).
    public var predict: BatchPrediction?

    public init(spec: TrainingSpec, workers: Int, modelName: String? = nil, study: StudyPlan? = nil) {
        self.spec = spec
        self.workers = workers
        self.modelName = modelName
        self.study = study
    }

    /// The dataset's name, or the data file's name without its extension, made a valid registry name.
    public var defaultModelName: String {
        let stem = spec.data.dataset.map { String($0.prefix { $0 != "@" }) }
            ?? ((spec.data.path as NSString).lastPathComponent as NSString).deletingPathExtension
        let cleaned = String(stem.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "-" }.drop { !$0.isLetter && !$0.isNumber }.prefix(64))
        return cleaned.isEmpty ? "model" : cleaned
    }
}

/// JOB_SHOW (with `historyFrom`, the first round to return), JOB_CANCEL and JOB_MODEL.
public struct JobRequest: Sendable, Codable, Equatable {
    public var id: UInt64
    public var historyFrom: Int?

    public init(id: UInt64, historyFrom: Int? = nil) {
        self.id = id
        self.historyFrom = historyFrom
    }
}

/// JOB_SUBMIT_REPLY, JOB_CANCEL_REPLY and JOB_SHOW_REPLY: the job, and for JOB_SHOW the
/// rounds from `historyFrom` on, and a study's trials.
public struct JobReply: Sendable, Codable, Equatable {
    public var job: JobInfo
    public var history: [TrainingProgress]?
    public var trials: [TrialInfo]?

    public init(job: JobInfo, history: [TrainingProgress]? = nil, trials: [TrialInfo]? = nil) {
        self.job = job
        self.history = history
        self.trials = trials
    }
}

/// JOB_LIST_REPLY: every job, newest first.
public struct JobListReply: Sendable, Codable, Equatable {
    public var jobs: [JobInfo]

    public init(jobs: [JobInfo]) { self.jobs = jobs }
}

/// JOB_MODEL_REPLY: a succeeded job and its model file, whose bytes travel as the one `u8`
/// payload frame; `bytes` and `sha256` (lowercase hex) describe that frame, so a client checks
/// what it received before writing it.
public struct JobModelReply: Sendable, Codable, Equatable {
    public var job: JobInfo
    public var bytes: Int
    public var sha256: String

    public init(job: JobInfo, bytes: Int, sha256: String) {
        self.job = job
        self.bytes = bytes
        self.sha256 = sha256
    }
}
