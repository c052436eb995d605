@testable import Coordinator
import DistributedTraining
import Foundation
import Testing
import TrainyardML

/// A pipeline run as a value: the directives it gives in every state, what gates and failures
/// leave behind (never a promotion), and how a saved run continues after a restart.
struct PipelineRunTests {
    static func spec(approval: PipelineSpec.Approval = .auto) -> PipelineSpec {
        var train = TrainingSpec(data: DatasetSource(path: ""), label: "churned")
        train.data.dataset = "churn"
        var spec = PipelineSpec(name: "churn", dataset: "churn", job: JobSubmit(spec: train, workers: 2),
                                evaluation: .init(metric: "auc", holdout: 0.25), model: "churn-model")
        spec.approval = approval
        return spec
    }

    static func queued(_ spec: PipelineSpec = spec(), dataset: String? = nil) -> PipelineRun {
        PipelineRun(info: PipelineRunInfo(id: 7, pipeline: spec.name, trigger: .newVersion, dataset: dataset, createdAt: 0), spec: spec)
    }

    /// A run saved and read back, as a restarted coordinator finds it.
    static func reloaded(_ run: PipelineRun) throws -> PipelineRun {
        let info = try JSONDecoder().decode(PipelineRunInfo.self, from: JSONEncoder().encode(run.info))
        return PipelineRun(info: info, spec: run.spec)
    }

    @Test func aRunWalksEveryStepInOrderAndEndsPromoted() {
        var run = Self.queued()
        #expect(run.next() == .start)
        run.start(dataset: "churn@3", at: 1)
        #expect(run.next() == .checkQuality(dataset: "churn@3") && run.info.state == .running)
        run.succeed(.quality, outputs: ["rows": "4000"], at: 2)
        guard case .submit(let job) = run.next() else { Issue.record("expected a submission, got \(run.next())"); return }
        // The template on the run's dataset, holding out the evaluation fraction, published by the register step.
        #expect(job.spec.data.dataset == "churn@3" && job.spec.validFraction == 0.25 && job.publish == false
                && job.modelName == "churn-model" && job.workers == 2)
        run.submitted(job: 41, at: 3)
        #expect(run.next() == .watch(job: 41) && run.info[.train].state == .running)
        run.succeed(.train, at: 10)
        #expect(run.next() == .evaluate(job: 41))
        run.succeed(.evaluate, outputs: ["candidate": "0.9"], at: 11)
        #expect(run.next() == .register(job: 41))
        run.registered(version: 5, outputs: [:], at: 12)
        #expect(run.next() == .approve(version: 5) && run.info[.register].outputs["version"] == "5")
        run.succeed(.approve, at: 13)
        #expect(run.next() == .promote(version: 5))
        run.succeed(.promote, at: 14)
        #expect(run.info.state == .succeeded && run.info.finishedAt == 14 && run.next() == .none)
        #expect(run.info.steps.allSatisfy { $0.state == .succeeded && $0.startedAt != nil && $0.finishedAt != nil })
    }

    @Test func aGateThatSaysNoStopsTheRunAndNothingLaterHappens() {
        for gate in [PipelineRunInfo.StepName.quality, .evaluate] {
            var run = Self.queued()
            run.start(dataset: "churn@1", at: 1)
            if gate == .evaluate {
                run.succeed(.quality, at: 2)
                run.submitted(job: 3, at: 2)
                run.succeed(.train, at: 3)
            }
            run.stop(gate, reason: "column 'tenure' is missing", at: 4)
            #expect(run.info.state == .stopped && run.next() == .none)
            #expect(run.info.reason == "\(gate.rawValue): column 'tenure' is missing")
            #expect(run.info[gate].state == .stopped)
            #expect([.register, .approve, .promote].allSatisfy { run.info[$0].state == .skipped }, "\(run.info.steps)")
        }
    }

    @Test func aFailedJobFailsTheRunAtTrain() {
        var run = Self.queued(dataset: "churn@2")
        run.start(dataset: "churn@2", at: 0)
        run.succeed(.quality, at: 0)
        run.submitted(job: 9, at: 1)
        run.fail(.train, reason: "job 9 failed: no workers", at: 5)
        #expect(run.info.state == .failed && run.info[.train].state == .failed && run.info[.promote].state == .skipped)
        #expect(run.next() == .none)
    }

    @Test func manualApprovalWaitsForAPersonThenPromotes() {
        var run = Self.queued(Self.spec(approval: .manual))
        run.start(dataset: "churn@1", at: 0)
        for step in [PipelineRunInfo.StepName.quality] { run.succeed(step, at: 1) }
        run.submitted(job: 2, at: 1)
        run.succeed(.train, at: 2)
        run.succeed(.evaluate, at: 2)
        run.registered(version: 4, outputs: [:], at: 3)
        #expect(run.next() == .awaitApproval(version: 4))
        run.wait(.approve, reason: "waiting for a person", at: 3)
        #expect(run.info.state == .waiting && run.info[.approve].state == .waiting && run.next() == .awaitApproval(version: 4))
        run.succeed(.approve, outputs: ["by": "a person"], at: 60)
        #expect(run.info.state == .running && run.info[.approve].startedAt == 3 && run.next() == .promote(version: 4))
    }

    @Test func aRestartedCoordinatorContinuesTheStepItWasInWithoutRepeatingDoneWork() throws {
        var run = Self.queued()
        run.start(dataset: "churn@1", at: 0)
        run.begin(.quality, at: 0)
        // Mid-quality: the check is made again (it has no effect outside the run).
        #expect(try Self.reloaded(run).next() == .checkQuality(dataset: "churn@1"))
        run.succeed(.quality, at: 1)
        run.submitted(job: 12, at: 1)
        // Mid-training: the job is watched, not submitted a second time.
        #expect(try Self.reloaded(run).next() == .watch(job: 12))
        run.succeed(.train, at: 2)
        run.succeed(.evaluate, at: 2)
        run.registered(version: 2, outputs: [:], at: 3)
        // Registered: approval and promotion of that version, not a second registration.
        #expect(try Self.reloaded(run).next() == .approve(version: 2))
    }

    @Test func cancellingEndsAQueuedOrRunningRunWhereItIs() {
        var queued = Self.queued()
        queued.cancel(at: 5)
        #expect(queued.info.state == .cancelled && queued.info.steps.allSatisfy { $0.state == .skipped } && queued.next() == .none)
        var running = Self.queued()
        running.start(dataset: "churn@1", at: 0)
        running.succeed(.quality, at: 1)
        running.submitted(job: 3, at: 1)
        running.cancel(at: 6)
        #expect(running.info.state == .cancelled && running.info[.train].state == .stopped
                && running.info[.train].reason == "cancelled by request" && running.info[.evaluate].state == .skipped)
    }
}
