import Foundation
import Testing
@testable import TrainyardML

/// Model files with a valid checksum but a broken structure: each is refused at decode with the
/// field at fault, where before several trapped at load (packing the trees) or at the first prediction.
struct ModelValidationTests {
    static let model: TrainyardModel = {
        let csv = SyntheticChurn.csv(rows: 600, seed: 3)
        let table = try! CSVReader.read(bytes: Array(csv.utf8), name: "churn.csv")
        var request = TrainingRequest(label: "churned")
        request.gbdt.trees = 4
        request.gbdt.maxDepth = 3
        return try! TrainingPipeline.run(train: table, request: request).model
    }()

    /// Encodes `mutated` with a correct header and checksum, decodes it, and returns the refusal.
    func refusal(_ mutate: (inout TrainyardModel) -> Void) throws -> ModelValidationError? {
        var model = Self.model
        mutate(&model)
        let bytes = try ModelFile.encode(model)
        do {
            _ = try ModelFile.decode(bytes, path: "m.tym")
            return nil
        } catch {
            guard case .invalid(let path, let problem) = error else { Issue.record("expected .invalid, got \(error)"); return nil }
            #expect(path == "m.tym")
            #expect(error.description.hasPrefix("m.tym holds an invalid model: "))
            return problem
        }
    }

    func gbdt(_ model: inout TrainyardModel, _ change: (inout GBDTModel) -> Void) {
        guard case .gbdt(var trees) = model.estimator else { Issue.record("not a GBDT"); return }
        change(&trees)
        model.estimator = .gbdt(trees)
    }

    @Test func aTrainedModelPassesAndStillPredicts() throws {
        #expect(try refusal { _ in } == nil)
        try Self.model.validate()
    }

    @Test func childrenOutsideTheTreeOrPointingBackAreRefused() throws {
        let outside = try refusal { gbdt(&$0) { $0.trees[1].left[0] = 10_000 } }
        #expect(outside?.field == "gbdt.trees[1]")
        #expect(outside?.description.contains("outside") == true)
        // A cycle: a child that points back at the root.
        let cycle = try refusal { gbdt(&$0) { let c = $0.trees[0].left[0]; $0.trees[0].left[Int(c)] = 0; $0.trees[0].right[Int(c)] = 0 } }
        #expect(cycle?.field == "gbdt.trees[0]")
        // Two nodes sharing a child (a DAG whose walk would repeat subtrees).
        let shared = try refusal { gbdt(&$0) { $0.trees[0].right[0] = $0.trees[0].left[0] } }
        #expect(shared?.field == "gbdt.trees[0]")
        let parent = try refusal { gbdt(&$0) { $0.trees[2].parent[1] = 5_000 } }
        #expect(parent?.field == "gbdt.trees[2]")
    }

    @Test func outOfRangeFeaturesAndShortArraysAreRefused() throws {
        let feature = try refusal { gbdt(&$0) { $0.trees[0].feature[0] = -3 } }
        #expect(feature?.description.contains("splits on feature -3") == true)
        let short = try refusal { gbdt(&$0) { $0.trees[3].value.removeLast() } }
        #expect(short?.description.contains("different lengths") == true)
        let empty = try refusal { gbdt(&$0) { $0.trees[3] = RegressionTree() } }
        #expect(empty?.field == "gbdt.trees[3]")
    }

    @Test func featureCountsGroupsAndMarginsMustAgreeWithTheRest() throws {
        let count = try refusal { gbdt(&$0) { $0.featureCount += 1 } }
        #expect(count?.field == "gbdt.featureCount")
        let group = try refusal { gbdt(&$0) { $0.treeGroups[0] = 1 } }
        #expect(group?.description == "gbdt.treeGroups: tree 0 adds to group 1; there are 1")
        let groups = try refusal { gbdt(&$0) { $0.treeGroups.removeLast() } }
        #expect(groups?.field == "gbdt.treeGroups")
        let margins = try refusal { gbdt(&$0) { $0.groupBaseMargins = [0, 0] } }
        #expect(margins?.field == "gbdt.groupBaseMargins")
        // (A file cannot even spell this one: the objective's decoder refuses it first.)
        var oneClass = Self.model
        gbdt(&oneClass) { $0.objective = .softprob(numClass: 1) }
        #expect(throws: ModelValidationError.invalid("objective", "multi:softprob declares 1 classes; it needs 2 to \(TrainyardModel.structureLimit)")) {
            try oneClass.validate()
        }
    }

    @Test func preprocessingThatCannotBeAppliedIsRefused() throws {
        let twice = try refusal { $0.preprocessor.inputs.append($0.preprocessor.inputs[0]) }
        #expect(twice?.description.contains("listed twice") == true)
        let index = try #require(Self.model.preprocessor.inputs.firstIndex { if case .oneHot = $0.transform { true } else { false } })
        let levels = try refusal {
            guard case .oneHot(let levels, let imputed) = $0.preprocessor.inputs[index].transform else { return }
            $0.preprocessor.inputs[index].transform = .oneHot(levels: levels.dropLast() + [levels[0]], imputed: imputed)
        }
        #expect(levels?.description.contains("one-hot levels repeat") == true)
        let kind = try refusal { $0.preprocessor.inputs[index].kind = .numeric }
        #expect(kind?.description.contains("cannot have this transform") == true)
        let buckets = try refusal { $0.preprocessor.inputs.append(InputColumn(name: "review", kind: .text, transform: .hashedTFIDF(idf: []))) }
        #expect(buckets?.description.contains("at least one bucket") == true)
    }

    @Test func labelsMustMatchTheObjective() throws {
        let third = try refusal { $0.label.classes?.append("maybe") }
        #expect(third?.description == "label: binary:logistic needs 2 class names, the label has 3")
        let same = try refusal { $0.label.classes = ["yes", "yes"] }
        #expect(same?.description == "label: class names repeat")
    }

    @Test func linearWeightsMustCoverTheFeatures() throws {
        var linear = Self.model
        let width = linear.preprocessor.featureCount
        linear.estimator = .linear(LinearModel(objective: .binaryLogistic, weights: [Double](repeating: 0.1, count: width), bias: 0))
        try linear.validate()
        linear.estimator = .linear(LinearModel(objective: .binaryLogistic, weights: [Double](repeating: 0.1, count: width - 1), bias: 0))
        #expect(throws: ModelValidationError.self) { try linear.validate() }
        linear.estimator = .linear(LinearModel(objective: .binaryLogistic, weights: [Double](repeating: .nan, count: width), bias: 0))
        #expect(throws: ModelValidationError.self) { try linear.validate() }
    }
}
