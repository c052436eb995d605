@testable import Coordinator
import DistributedTraining
import ModelRegistry
import Testing
import TrainyardML

/// The quality gate against hand-made data: every rule says what it measured and names the column.
struct QualityCheckTests {
    let table = Table(names: ["tenure", "plan", "churned"], columns: [
        .numeric([1, 2, .nan, 4, 5, 6, .nan, 8, 9, 10]),
        .categorical(codes: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], levels: ["basic", "pro"]),
        .categorical(codes: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1], levels: ["no", "yes"]),
    ])
    var profile: DataProfile { DataProfile.profile(table, label: "churned") }

    @Test func aTableWithinEveryLimitPasses() {
        var gate = PipelineSpec.QualityGate()
        gate.minRows = 10
        gate.maxMissing = 0.2
        gate.requiredColumns = ["plan"]
        gate.minClassFraction = 0.2
        let check = QualityCheck(gate, profile: profile, label: "churned",
                                 previous: [.init(name: "tenure", kind: .numeric), .init(name: "plan", kind: .categorical)])
        #expect(check.failure == nil)
        #expect(check.outputs == ["rows": "10", "max_missing": "tenure 20 %", "rarest_class": "yes 20 %"])
    }

    @Test func eachRuleNamesWhatFailed() {
        var gate = PipelineSpec.QualityGate()
        gate.minRows = 11
        gate.maxMissing = 0.5
        gate.maxMissingByColumn = ["tenure": 0.1]
        gate.requiredColumns = ["region"]
        gate.minClassFraction = 0.25
        let check = QualityCheck(gate, profile: profile, label: "churned",
                                 previous: [.init(name: "tenure", kind: .numeric), .init(name: "plan", kind: .numeric), .init(name: "age", kind: .numeric)])
        #expect(check.failure == "10 rows, fewer than min_rows 11; column 'region' is missing; "
                + "column 'tenure' is 20 % missing, above max_missing 10 %; "
                + "column 'plan' was numeric and is now categorical (schema changed); "
                + "column 'age' of the previous version is missing (schema changed); "
                + "label class 'yes' is 20 % of the rows, below min_class_fraction 25 %")
    }

    @Test func aMissingLabelOrOneClassStopsTheRun() {
        let check = QualityCheck(PipelineSpec.QualityGate(), profile: profile, label: "cancelled", previous: nil)
        #expect(check.failure == "column 'cancelled' is missing (the label)")
        var gate = PipelineSpec.QualityGate()
        gate.minClassFraction = 0.1
        let one = Table(names: ["x", "y"], columns: [.numeric([1, 2]), .categorical(codes: [0, 0], levels: ["no"])])
        #expect(QualityCheck(gate, profile: DataProfile.profile(one, label: "y"), label: "y", previous: nil).failure
                == "the label 'y' has one class only ('no')")
    }

    @Test func aSchemaChangeIsAllowedWhenThePipelineSaysAny() {
        var gate = PipelineSpec.QualityGate()
        gate.schemaCompatible = false
        #expect(QualityCheck(gate, profile: profile, label: "churned", previous: [.init(name: "age", kind: .numeric)]).failure == nil)
    }
}
