import Testing
@testable import TrainyardML

/// Linear models on sparse (CSR) rows give exactly what they give on dense rows.
struct SparseLinearTests {
    let table = Table(names: ["x", "plan", "review"], columns: [
        .numeric([1, .nan, 3, 5, 0, 2]),
        .categorical(codes: [0, 1, 1, -1, 2, 0], levels: ["basic", "pro", "team"]),
        .text(["loved the service", "", "slow and broken", "loved it, fast", "broken again", "fine"]),
    ])

    var options: Preprocessor.Options {
        var options = Preprocessor.Options()
        options.textBuckets = 16
        return options
    }

    @Test func sparseAndDenseTransformsHoldTheSameFeatures() throws {
        let p = Preprocessor.fit(table, target: .linear, options: options)
        let sparse = try p.transformSparse(table)
        #expect(sparse.dense == (try p.transform(table)))
        #expect(sparse.values.count < sparse.rows * sparse.columns, "zeros are not stored")
        #expect(SparseMatrix(sparse.dense) == sparse)
    }

    @Test func aModelTrainedOnSparseRowsEqualsTheDenseOne() throws {
        let (x, y) = syntheticClassification(rows: 2000, seed: 21, missingRate: 0)
        let trainer = try LinearTrainer(parameters: LinearParameters())
        let dense = try trainer.train(x, labels: y)
        let sparse = try trainer.train(SparseMatrix(x), labels: y)
        #expect(abs(dense.objectiveValue - sparse.objectiveValue) <= 1e-9 * dense.objectiveValue)
        for (a, b) in zip(dense.model.weights, sparse.model.weights) { #expect(abs(a - b) < 1e-7) }
        #expect(zip(dense.model.predict(x), sparse.model.predict(SparseMatrix(x))).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}
