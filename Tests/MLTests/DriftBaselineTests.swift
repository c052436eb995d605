import Testing
@testable import TrainyardML

/// The training baseline a model keeps for drift detection, against hand-worked values.
struct DriftBaselineTests {
    @Test func numericFeaturesAreBinnedAtTheDecilesAndCategoriesByFrequency() {
        let numbers = DriftBaseline.feature("x", .numeric((1...100).map(Float.init) + [.nan, .nan]))
        #expect(numbers.cuts == [11, 21, 31, 41, 51, 61, 71, 81, 91])
        #expect(numbers.shares == Array(repeating: 0.1, count: 10) && abs(numbers.missingRate - 2.0 / 102) < 1e-12)
        #expect(numbers.bin(10.5) == 0 && numbers.bin(11) == 1 && numbers.bin(95) == 9 && numbers.bin(-1) == 0)
        // A constant column has one bin; repeated values give fewer cuts, never an empty first bin.
        #expect(DriftBaseline.feature("c", .numeric([3, 3, 3])).cuts == [] && DriftBaseline.feature("c", .numeric([3, 3, 3])).shares == [1])
        #expect(DriftBaseline.cuts(sorted: [0, 0, 0, 0, 0, 0, 0, 0, 1, 2]) == [1, 2])
        // Levels most frequent first (ties by name), then one bucket for the rest.
        let levels = DriftBaseline.feature("plan", .categorical(codes: [0, 1, 1, 2, 2, -1], levels: ["basic", "pro", "max"]))
        #expect(levels.levels == ["max", "pro", "basic"] && levels.shares == [0.4, 0.4, 0.2, 0] && abs(levels.missingRate - 1.0 / 6) < 1e-12)
        let text = DriftBaseline.feature("review", .text(["good", "", "bad", "fine"]))
        #expect(text.shares.isEmpty && text.missingRate == 0.25)
    }

    @Test func aTrainedModelKeepsItsBaselineThroughItsFileAndABrokenOneIsRefused() throws {
        let table = try CSVReader.read(bytes: Array(SyntheticChurn.csv(rows: 600, seed: 3).utf8), name: "churn.csv")
        var request = TrainingRequest(label: "churned")
        request.gbdt.trees = 3
        let model = try TrainingPipeline.run(train: table, request: request).model
        let baseline = try #require(model.baseline)
        #expect(baseline.rows == 600 && baseline.features.map(\.name).contains("contract") && !baseline.features.map(\.name).contains("churned"))
        #expect(baseline.prediction.shares.count == (baseline.prediction.cuts?.count ?? 0) + 1)
        #expect(try ModelFile.decode(ModelFile.encode(model), path: "m").baseline == baseline)
        var broken = model
        broken.baseline?.features[0].shares.append(0.5)
        #expect(throws: ModelValidationError.self) { try broken.validate() }
    }
}
