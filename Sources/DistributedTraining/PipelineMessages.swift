import Foundation

/// A pipeline as `pipeline list` and `pipeline show` report it.
public struct PipelineInfo: Sendable, Codable, Equatable {
    public var spec: PipelineSpec
    /// Unix seconds of the first and the latest `pipeline apply`.
    public var createdAt: Double
    public var updatedAt: Double
    /// The newest source dataset version the pipeline has seen (runs start on newer ones).
    public var seenVersion: Int?
    /// When the schedule last started a run (Unix seconds).
    public var scheduledAt: Double?
    /// The latest run, if any.
    public var lastRun: PipelineRunInfo?

    public init(spec: PipelineSpec, createdAt: Double, updatedAt: Double) {
        self.spec = spec
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// PIPELINE_APPLY: create the pipeline `spec.name`, or replace its spec (its runs stay).
public struct PipelineApply: Sendable, Codable, Equatable {
    public var spec: PipelineSpec

    public init(spec: PipelineSpec) { self.spec = spec }
}

/// PIPELINE_SHOW, PIPELINE_RUNS (the pipeline's runs, newest first) and PIPELINE_RUN (start a
/// run now, on `dataset` — `name@version` of the source dataset — or its latest version).
public struct PipelineRequest: Sendable, Codable, Equatable {
    public var name: String
    public var dataset: String?

    public init(name: String, dataset: String? = nil) {
        self.name = name
        self.dataset = dataset
    }
}

/// PIPELINE_RUN_SHOW and PIPELINE_RUN_CANCEL: one run by id.
public struct PipelineRunRequest: Sendable, Codable, Equatable {
    public var id: UInt64

    public init(id: UInt64) { self.id = id }
}

/// PIPELINE_APPLY_REPLY and PIPELINE_SHOW_REPLY.
public struct PipelineReply: Sendable, Codable, Equatable {
    public var pipeline: PipelineInfo
    /// PIPELINE_APPLY: whether the pipeline is new, changed, or applied unchanged.
    public var change: String?

    public init(pipeline: PipelineInfo, change: String? = nil) {
        self.pipeline = pipeline
        self.change = change
    }
}

/// PIPELINE_LIST_REPLY: every pipeline, by name.
public struct PipelineListReply: Sendable, Codable, Equatable {
    public var pipelines: [PipelineInfo]

    public init(pipelines: [PipelineInfo]) { self.pipelines = pipelines }
}

/// PIPELINE_RUN_REPLY, PIPELINE_RUN_SHOW_REPLY and PIPELINE_RUN_CANCEL_REPLY: one run.
public struct PipelineRunReply: Sendable, Codable, Equatable {
    public var run: PipelineRunInfo
    /// PIPELINE_RUN_SHOW of a run whose train step has a job: that job.
    public var job: JobInfo?

    public init(run: PipelineRunInfo, job: JobInfo? = nil) {
        self.run = run
        self.job = job
    }
}

/// PIPELINE_RUNS_REPLY: a pipeline's runs, newest first.
public struct PipelineRunsReply: Sendable, Codable, Equatable {
    public var runs: [PipelineRunInfo]

    public init(runs: [PipelineRunInfo]) { self.runs = runs }
}
