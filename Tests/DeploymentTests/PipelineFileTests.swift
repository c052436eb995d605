import DistributedTraining
import Foundation
import Testing
@testable import TrainyardCLI
import TrainyardML
import Tuning

/// Pipeline files as users write them: the examples read into the spec the coordinator keeps,
/// options parsed as the command line parses them, and every mistake named by its field.
struct PipelineFileTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    @Test func theChurnExampleReadsIntoAGatedTrainingPipeline() throws {
        let spec = try PipelineFile.read(Self.examples + "/churn.pipeline.yaml")
        #expect(spec.name == "churn" && spec.dataset == "churn" && spec.model == "churn" && spec.alias == "production")
        #expect(spec.triggers == PipelineSpec.Triggers(newVersion: true, everySeconds: nil))
        #expect(spec.quality.minRows == 1000 && spec.quality.maxMissing == 0.2 && spec.quality.minClassFraction == 0.05)
        #expect(spec.quality.requiredColumns == ["tenure_months", "monthly_charges", "contract"] && spec.quality.schemaCompatible)
        #expect(spec.job.workers == 2 && spec.job.study == nil && spec.job.spec.label == "churned" && spec.job.spec.data.dataset == "churn")
        #expect(spec.job.spec.gbdt.trees == 100 && spec.job.spec.gbdt.maxDepth == 6 && spec.job.spec.gbdt.eta == 0.3)
        #expect(spec.evaluation == PipelineSpec.EvaluationGate(metric: "auc", holdout: 0.2, threshold: 0.75, maxRegression: 0.005))
        #expect(spec.approval == .auto && spec.source?.contains("name: churn") == true)
    }

    @Test func theSentimentExampleReadsIntoAStudyWithManualApproval() throws {
        let spec = try PipelineFile.read(Self.examples + "/sentiment.pipeline.yaml")
        let plan = try #require(spec.job.study)
        #expect(plan.strategy == .tpe && plan.trials == 6 && plan.parallel == 2 && plan.metric == "valid.auc" && plan.workersPerTrial == 1)
        #expect(try SearchSpace.parse(yaml: plan.space).parameters.map(\.name) == ["lambda"])
        #expect(spec.job.spec.model == .linear && spec.approval == .manual && spec.evaluation.metric == "auc")
    }

    @Test func anInlineSpaceKeepsItsOrderSoConditionsStillNameEarlierParameters() throws {
        let yaml = """
        name: p
        dataset: d
        tune:
          label: y
          space:
            model: {choice: [gbdt, linear]}
            max_depth: {int: [2, 6], when: {model: gbdt}}
            eta: {loguniform: [0.01, 0.3], when: {model: gbdt}}
        evaluate: {metric: auc}
        trigger: {every: 10m}
        """
        let spec = try PipelineFile.parse(yaml, directory: "")
        #expect(try SearchSpace.parse(yaml: spec.job.study!.space).parameters.map(\.name) == ["model", "max_depth", "eta"])
        #expect(spec.triggers.everySeconds == 600 && spec.model == "p" && spec.alias == "production")
    }

    @Test(arguments: [
        ("name: p\ndataset: d\nevaluate: {metric: auc}", "train: give exactly one of train: (a training job) or tune: (a study)"),
        ("name: p\ndataset: d\ntrain: {label: y, n-trees: many}\nevaluate: {metric: auc}", "train: "),
        ("name: p\ndataset: d\ntrain: {label: y, nonsense: 1}\nevaluate: {metric: auc}", "train: "),
        ("name: p\ndataset: d\ntrain: {label: y, data: x.csv}\nevaluate: {metric: auc}", "train.data: a pipeline trains on its dataset"),
        ("name: p\ndataset: d\ntrain: {label: y}\nevaluate: {metric: f1}", "evaluate.metric: unknown metric 'f1'"),
        ("name: p\ndataset: d\ntrain: {label: y}\nevaluate: {metric: auc, holdout: 1.5}", "evaluate.holdout: must be a fraction in (0, 1)"),
        ("name: p\ndataset: d\ntrain: {label: y}\nevaluate: {metric: auc}\nquality: {max_missing: 2}", "quality.max_missing: must be within 0…1"),
        ("name: p\ndataset: d\ntrain: {label: y}\nevaluate: {metric: auc}\nquality: {min_rowz: 2}", "quality.min_rowz: unknown field"),
        ("name: p\ndataset: d\ntrain: {label: y}\nevaluate: {metric: auc}\napproval: maybe", "approval: auto or manual, got 'maybe'"),
        ("name: show\ndataset: d\ntrain: {label: y}\nevaluate: {metric: auc}", "name: 'show' must be"),
        ("name: p\ndataset: ../d\ntrain: {label: y}\nevaluate: {metric: auc}", "dataset: '../d' must be"),
        ("name: p\ndataset: d\ntrain: {label: y}\nevaluate: {metric: auc}\ntrigger: {every: soon}", "trigger.every: a duration"),
        ("name: p\ndataset: d\ntune: {label: y}\nevaluate: {metric: auc}", "tune.space: missing"),
        ("name: p\ndataset: d\ntune: {label: y, space: {eta: {uniform: [1, 0]}}}\nevaluate: {metric: auc}", "tune.space: "),
        ("name: p\ndataset: d\ntrain: [1]\nevaluate: {metric: auc}", "train: must be a mapping"),
        ("- not a mapping", "pipeline: must be a YAML mapping"),
        ("name: p\ndataset: d\ntrain: {label: y}\nevaluate: {metric: auc}\nextra: 1", "extra: unknown field"),
    ])
    func mistakesNameTheirField(yaml: String, message: String) {
        #expect {
            try PipelineFile.parse(yaml, directory: "")
        } throws: { error in
            "\(error)".hasPrefix(message) || "\(error)".contains(message)
        }
    }
}
