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

    /// Row blocks on several threads join into the matrix one thread builds, and the IDF fitted on
    /// blocks is the one fitted in one pass.
    @Test func theSparseTransformAndTextFitAreTheSameOnAnyThreadCount() throws {
        var random = SplitMix64(seed: 3)
        let documents = (0..<2500).map { _ in SyntheticReviews.review(&random).0 }
        let table = Table(names: ["review"], columns: [.text(documents)])
        let idf = (1...2).map { HashedTFIDF.fit(documents, buckets: nil, limits: Preprocessor.linearTextBuckets, settings: .standard, threads: $0) }
        #expect(idf[0] == idf[1])
        #expect(idf[0] == HashedTFIDF.fitIDF(documents, buckets: idf[0].count, settings: .standard))
        let p = Preprocessor.fit(table, target: .linear)
        let one = try p.transformSparse(table, threads: 1)
        #expect(table.rows >= Preprocessor.sparseBlockRows, "enough rows for blocks")
        for threads in [2, 3] { #expect(try p.transformSparse(table, threads: threads) == one) }
        // The loss and gradient sums too: blocks fixed by the shape, added in order (PROTOCOL.md §6.2.4).
        let (x, columns) = one.withoutEmptyColumns()
        #expect(LinearLoss.blockRows(columns: x.columns) < x.rows, "several blocks (\(columns.count) columns)")
        let labels = (0..<x.rows).map { Float($0 % 3 == 0 ? 1 : 0) }
        let w = (0...x.columns).map { Double($0 % 7) / 50 - 0.06 }
        let loss = LinearLoss(objective: .binaryLogistic)
        let single = loss.statistics(features: x, labels: labels, parameters: w, threads: 1)
        for threads in [2, 3] { #expect(loss.statistics(features: x, labels: labels, parameters: w, threads: threads) == single) }
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
