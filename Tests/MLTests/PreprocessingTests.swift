import Foundation
import Testing
@testable import TrainyardML

struct PreprocessingTests {
    let table = Table(names: ["x", "plan"], columns: [
        .numeric([1, .nan, 3, 5]),
        .categorical(codes: [0, 1, 1, -1], levels: ["basic", "pro"]),
    ])

    @Test func treesGetRawNumbersAndOneHotCategories() throws {
        let p = Preprocessor.fit(table, target: .trees)
        #expect(p.featureNames == ["x", "plan=pro", "plan=basic"])       // most frequent level first
        let m = try p.transform(table)
        #expect(m[1, 0].isNaN)
        #expect((0..<4).map { m[$0, 1] } == [0, 1, 1, 0])
        #expect((0..<4).map { m[$0, 2] } == [1, 0, 0, 0])                 // missing sets no indicator
    }

    @Test func linearModelsImputeAMissingCategoryWithTheMostFrequentLevel() throws {
        let p = Preprocessor.fit(table, target: .linear)
        #expect(p.inputs[1].transform == .oneHot(levels: ["pro", "basic"], imputed: "pro"))
        let m = try p.transform(table)
        #expect(m[3, 1] == 1 && m[3, 2] == 0)                            // row 3's plan is missing → "pro"
    }

    @Test func linearModelsGetMedianImputedStandardisedNumbers() throws {
        let p = Preprocessor.fit(table, target: .linear)
        // Median of 1, 3, 5 is 3; after imputation [1, 3, 3, 5]: mean 3, std √2.
        #expect(p.inputs[0].transform == .standardize(median: 3, mean: 3, std: Float(2.0.squareRoot())))
        let m = try p.transform(table)
        #expect(m[1, 0] == 0)
        #expect(abs(m[3, 0] - Float(2 / 2.0.squareRoot())) < 1e-6)
    }

    @Test func manyLevelsBecomeOrdinalCodesForTrees() throws {
        var options = Preprocessor.Options()
        options.maxOneHot = 1
        let p = Preprocessor.fit(table, target: .trees, options: options)
        #expect(p.inputs[1].transform == .ordinal(levels: ["pro", "basic"]))
    }

    @Test func unseenLevelsAndMissingColumnsAtPredictionTime() throws {
        let p = Preprocessor.fit(table, target: .trees)
        let new = Table(names: ["plan", "x"], columns: [.categorical(codes: [0], levels: ["enterprise"]), .numeric([2])])
        let m = try p.transform(new)
        #expect(m[0, 0] == 2 && m[0, 1] == 0 && m[0, 2] == 0)
        #expect(throws: PreprocessingError.missingColumn("plan")) {
            try p.transform(Table(names: ["x"], columns: [.numeric([1])]))
        }
        #expect(throws: PreprocessingError.wrongKind("plan", expected: .categorical, found: .numeric)) {
            try p.transform(Table(names: ["x", "plan"], columns: [.numeric([1]), .numeric([2])]))
        }
    }

    @Test func stratifiedSplitKeepsClassShares() {
        let labels: [Float] = Array(repeating: 0, count: 900) + Array(repeating: 1, count: 100)
        let (train, valid) = TrainingPipeline.stratifiedSplit(labels: labels, fraction: 0.2, seed: 3, stratify: true)
        #expect(train.count == 800 && valid.count == 200)
        #expect(valid.filter { labels[$0] == 1 }.count == 20)
        #expect(Set(train).isDisjoint(with: valid))
        #expect(TrainingPipeline.stratifiedSplit(labels: labels, fraction: 0.2, seed: 3, stratify: true).valid == valid)
    }
}

struct HashedTFIDFTests {
    @Test func tokensHashStablyAndIgnoreCaseAndShortTokens() {
        #expect(HashedTFIDF.buckets(of: "Great, GREAT service!", count: 1 << 20)
                == HashedTFIDF.buckets(of: "great great service a", count: 1 << 20))
        #expect(HashedTFIDF.buckets(of: "a b c", count: 16).isEmpty)
        // 32-bit FNV-1a of "ab" is 0x4D2505CA (computed independently of this code).
        #expect(HashedTFIDF.buckets(of: "ab", count: Int(UInt32.max)) == [Int(0x4D25_05CA % UInt32.max)])
    }

    @Test func idfIsSmoothedAndRowsAreUnitLength() {
        let documents = ["good movie", "bad movie", "good good plot"]
        let idf = HashedTFIDF.fitIDF(documents, buckets: 1024)
        let movie = HashedTFIDF.buckets(of: "movie", count: 1024)[0]
        let plot = HashedTFIDF.buckets(of: "plot", count: 1024)[0]
        #expect(abs(idf[movie] - Float(log(4.0 / 3.0) + 1)) < 1e-6)     // in 2 of 3 documents
        #expect(abs(idf[plot] - Float(log(4.0 / 2.0) + 1)) < 1e-6)      // in 1 of 3
        var row = [Float](repeating: 0, count: 1024)
        row.withUnsafeMutableBufferPointer { HashedTFIDF.transform("good good plot", idf: idf, into: $0) }
        #expect(abs(row.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
    }

    @Test func textColumnsFeedTheModelThroughThePreprocessor() throws {
        let table = Table(names: ["review"], columns: [.text(["loved it", "", "hated it"])])
        var options = Preprocessor.Options()
        options.textBuckets = 8
        let p = Preprocessor.fit(table, target: .linear, options: options)
        #expect(p.featureNames.count == 8 && p.featureNames[0] == "review#0")
        let m = try p.transform(table)
        #expect((0..<8).allSatisfy { m[1, $0] == 0 })                     // a missing text is all zeros
        #expect(abs((0..<8).reduce(Float(0)) { $0 + m[0, $1] * m[0, $1] } - 1) < 1e-5)
    }

    @Test func levelPositionsAreTheSameSearchedOrLookedUp() {
        let levels = (0..<40).map { "level-\($0)" }
        for tableLevels in [["level-3", "unseen"], ["level-39", "level-0", "level-0x"] + levels.shuffled()] {
            let expected = tableLevels.map { name in levels.indices.first { levels[$0] == name } }
            #expect(Preprocessor.positions(of: levels, in: tableLevels) == expected)
        }
        #expect(Preprocessor.positions(of: levels, in: levels).count * levels.count > 256)  // the dictionary path ran
    }

    @Test func featureCountIsTheNumberOfFeatureNames() throws {
        let table = Table(names: ["x", "plan", "note"], columns: [
            .numeric([1, .nan, 3]),
            .categorical(codes: [0, 1, -1], levels: ["basic", "pro"]),
            .text(["a red fox", "", "blue"]),
        ])
        for target in [Preprocessor.Target.trees, .linear] {
            let p = Preprocessor.fit(table, target: target)
            #expect(p.featureCount == p.featureNames.count)
            #expect(try p.transform(table).columns == p.featureCount)
        }
    }
}
