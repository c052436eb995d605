import Coordinator
import DistributedTraining
import Foundation
import ModelRegistry
import TrainyardML

/// The pipelines half of `trainyard demo`: applies the demo's pipelines, uploads data as dataset
/// versions (which starts their runs) and prints each run's steps as they happen.
struct DemoPipelines {
    let client: CoordinatorClient
    let registry: RegistryClient
    let say: (String) -> Void

    /// The churn pipeline (examples/churn.pipeline.yaml with the demo's worker count and early stopping).
    static func churn(workers: Int) -> String {
        """
        name: churn
        dataset: churn
        quality: {min_rows: 1000, max_missing: 0.2, schema: compatible, min_class_fraction: 0.05}
        train: {label: churned, n-trees: 300, eta: 0.1, early-stopping-rounds: 20, workers: \(workers)}
        evaluate: {metric: auc, holdout: 0.2, threshold: 0.75, max_regression: 0.005}
        register: {model: churn}
        approval: auto
        promote: production
        """
    }

    /// The sentiment pipeline: a small TPE study over λ of a linear model on word and word-pair TF-IDF, approved by a person.
    static let sentiment = """
        name: sentiment
        dataset: reviews
        quality: {min_rows: 500, required_columns: [review], min_class_fraction: 0.2}
        tune:
          label: sentiment
          model: linear
          strategy: tpe
          trials: 6
          parallel: 2
          metric: valid.auc
          space: {lambda: {loguniform: [0.1, 10]}}
        evaluate: {metric: auc, holdout: 0.2, threshold: 0.85}
        register: {model: sentiment}
        approval: manual
        promote: production
        """

    func apply(_ yaml: String) async throws {
        let spec = try PipelineFile.parse(yaml, directory: "")
        let reply = try await client.requestAsync(.encoding(.pipelineApply, PipelineApply(spec: spec)), timeout: .seconds(10))
            .decodeBody(PipelineReply.self)
        say("pipeline \(spec.name) \(reply.change ?? "applied"): every new version of dataset '\(spec.dataset)' runs it")
    }

    /// Uploads `path` as the next version of dataset `name`, as `trainyard datasets upload` does.
    func upload(_ path: String, as name: String) async throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
        let version = try await registry.uploadDataset(name: name, bytes: [UInt8](data), filename: (path as NSString).lastPathComponent)
        say("uploaded \(path) as dataset \(version.reference) (\(version.rows) rows, sha256 \(version.sha256.prefix(12))…)")
    }

    /// Prints run `id`'s steps until it ends; approves a version it waits on when `approver` is
    /// given. Throws unless it succeeds (or, with `acceptingStop`, stops at a gate).
    func follow(run id: UInt64, approver: String? = nil, acceptingStop: Bool = false) async throws -> PipelineRunInfo {
        var printed: [PipelineRunInfo.StepName: String] = [:]
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            guard let reply = try? await client.requestAsync(.encoding(.pipelineRunShow, PipelineRunRequest(id: id)), timeout: .seconds(10))
                .decodeBody(PipelineRunReply.self) else {
                try await Task.sleep(for: .milliseconds(200))     // the upload's trigger queues the run at the next look
                continue
            }
            let run = reply.run
            for step in run.steps where step.state != .pending && step.state != .skipped {
                let line = Self.describe(step)
                if printed[step.name] != line {
                    printed[step.name] = line
                    say("  run \(id) " + line)
                }
            }
            if let approver, run.state == .waiting, run[.approve].state == .waiting, let version = run.modelVersion,
               let spec = run.spec {
                _ = try await registry.setStatus(spec.model, version, .approved, reason: "approved by \(approver)")
                say("  \(spec.model) version \(version) approved by \(approver)")
            }
            if run.state.isFinal {
                guard run.state == .succeeded || (acceptingStop && run.state == .stopped) else {
                    throw CommandFailure("pipeline run \(id) \(run.state.rawValue): \(run.reason ?? "")")
                }
                return run
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CommandFailure("pipeline run \(id) did not end within 5 minutes")
    }

    private static func describe(_ step: PipelineRunInfo.Step) -> String {
        "\(step.name.rawValue): \(step.state.rawValue)"
            + step.detail(keys: ["rows", "job", "valid.auc", "candidate", "production", "holdout_rows", "version", "by", "alias"])
    }
}
