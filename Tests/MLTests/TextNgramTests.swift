import Foundation
import Testing
@testable import TrainyardML

/// Word n-grams, sublinear tf and norms of hashed TF-IDF, against hand-worked values.
struct TextNgramTests {
    /// 32-bit FNV-1a, written out from its definition (offset basis 2166136261, prime 16777619).
    func fnv1a(_ text: String) -> UInt32 {
        text.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
    }

    @Test func theTokenizerFoldsCaseSplitsOnPunctuationAndKeepsOtherScripts() {
        #expect(HashedTFIDF.tokens(of: "It's NOT boring — a naïve CAFÉ, 2 b's; Straße 42!") ==
                ["it", "not", "boring", "naïve", "café", "straße", "42"])
        #expect(HashedTFIDF.tokens(of: "東京 tour") == ["東京", "tour"])
        #expect(HashedTFIDF.tokens(of: ", . ! a").isEmpty)
    }

    @Test func termsAreTheHashesOfTheNgramsJoinedByOneSpace() {
        // Published FNV-1a test vectors: "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
        #expect(HashedTFIDF.termHashes(of: "Foobar!") == [0xBF9C_F968])
        #expect(fnv1a("a") == 0xE40C_292C)
        let pairs = TextSettings(ngramMin: 1, ngramMax: 2, sublinearTF: false, norm: .l2)
        // "it's not boring": tokens it, not, boring ("s" is dropped and does not break the pair it–not).
        #expect(HashedTFIDF.termHashes(of: "it's not boring", settings: pairs)
                == ["it", "it not", "not", "not boring", "boring"].map(fnv1a))
        let onlyPairs = TextSettings(ngramMin: 2, ngramMax: 3, sublinearTF: false, norm: .l2)
        #expect(HashedTFIDF.termHashes(of: "not at all boring", settings: onlyPairs)
                == ["not at", "not at all", "at all", "at all boring", "all boring"].map(fnv1a))
        #expect(HashedTFIDF.termHashes(of: "word", settings: onlyPairs).isEmpty)
    }

    @Test func sublinearTFAndNormsGiveTheHandWorkedWeights() {
        // One document, "good good plot", 2 buckets apart; idf 2 and 3 given directly.
        let good = Int(fnv1a("good") % 1024), plot = Int(fnv1a("plot") % 1024)
        try? #require(good != plot)
        var idf = [Float](repeating: 1, count: 1024)
        idf[good] = 2
        idf[plot] = 3
        func weights(_ sublinear: Bool, _ norm: TextSettings.Norm) -> [Int: Float] {
            let settings = TextSettings(ngramMin: 1, ngramMax: 1, sublinearTF: sublinear, norm: norm)
            return Dictionary(uniqueKeysWithValues: HashedTFIDF.weights(of: "good good plot", idf: idf, settings: settings).map { ($0.bucket, $0.weight) })
        }
        #expect(weights(false, .none) == [good: 4, plot: 3])                       // counts 2 and 1 × idf
        let sublinear = weights(true, .none)
        #expect(abs(sublinear[good]! - 2 * (1 + Float(log(2.0)))) < 1e-6 && sublinear[plot] == 3)
        let unit = weights(false, .l2)                                             // (4, 3) / 5
        #expect(abs(unit[good]! - 0.8) < 1e-6 && abs(unit[plot]! - 0.6) < 1e-6)
        #expect(HashedTFIDF.weights(of: "", idf: idf).isEmpty)
    }

    @Test func theBucketCountIsSizedFromTheVocabularyWithinLimits() {
        #expect(HashedTFIDF.bucketCount(vocabulary: 5_700, limits: Preprocessor.linearTextBuckets) == 65_536)  // 8 × 5,700 → 2^16
        #expect(HashedTFIDF.bucketCount(vocabulary: 3, limits: Preprocessor.linearTextBuckets) == 1_024)
        #expect(HashedTFIDF.bucketCount(vocabulary: 10_000_000, limits: Preprocessor.linearTextBuckets) == 1 << 20)
        #expect(HashedTFIDF.bucketCount(vocabulary: 5_700, limits: Preprocessor.treeTextBuckets) == 1_024)
        let pairs = TextSettings.standard
        #expect(HashedTFIDF.vocabularySize(["not boring", "boring, not great"], settings: pairs) == 6)  // not, boring, great + 3 pairs
    }

    /// "not boring" is praise and "boring" is not, "not great" is not and "great" is: every word occurs equally in
    /// both classes, so words alone cannot tell them apart; word pairs can.
    @Test func aNegatedPhraseMovesThePredictionTheRightWayWhereWordsAloneCannot() throws {
        let phrases = [("great", "positive"), ("not boring", "positive"), ("boring", "negative"), ("not great", "negative")]
        let rows = (0..<200).map { phrases[$0 % 4] }
        let table = Table(names: ["review", "sentiment"],
                          columns: [.text(rows.map { "the film was \($0.0)" }),
                                    .categorical(codes: rows.map { $0.1 == "negative" ? 0 : 1 }, levels: ["negative", "positive"])])
        func model(_ settings: TextSettings) throws -> TrainyardModel {
            var request = TrainingRequest(label: "sentiment")
            request.kind = .linear
            request.preprocessing.text = settings
            return try TrainingPipeline.run(train: table, validation: nil, request: request).model
        }
        let probe = Table(names: ["review"], columns: [.text(["the film was not boring", "the film was boring"])])
        let words = try model(.unigrams).predict(probe)
        #expect(abs(words[0] - words[1]) < 0.05 || words[0] < words[1], "words alone: \(words)")
        let pairs = try model(.standard).predict(probe)
        #expect(pairs[0] > 0.8 && pairs[1] < 0.2, "with pairs: \(pairs)")
    }

    @Test func anNgramModelPredictsTheSameAfterSaveAndLoad() throws {
        let csv = SyntheticReviews.csv(rows: 400, seed: 5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reviews-\(UUID().uuidString.prefix(8)).csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var spec = TrainingSpec(data: DatasetSource(path: path), label: "sentiment")
        spec.model = .linear
        spec.text = TextSettings(ngramMin: 1, ngramMax: 3, sublinearTF: true, norm: .l2)
        let (train, _) = try spec.load()
        let model = try TrainingPipeline.run(train: train, validation: nil, request: spec.request(datasetSHA256: nil, software: "test")).model
        guard case .hashedTFIDF(_, let settings) = try #require(model.preprocessor.inputs.first { $0.name == "review" }).transform else {
            Issue.record("review is not a hashed TF-IDF column")
            return
        }
        #expect(settings == spec.text)
        let reloaded = try ModelFile.decode(try ModelFile.encode(model), path: "reviews")
        #expect(reloaded == model)
        #expect(try reloaded.predict(train) == (try model.predict(train)))
    }

    /// A format-1 model's text transform names no settings: it still loads, as the unigram transform it was trained with.
    @Test func aModelWrittenBeforeNgramsReadsAsUnigrams() throws {
        let json = #"{"hashedTFIDF":{"idf":[1,2,3,4]}}"#
        let transform = try JSONDecoder().decode(ColumnTransform.self, from: Data(json.utf8))
        #expect(transform == .hashedTFIDF(idf: [1, 2, 3, 4], settings: nil))
        let encoded = String(decoding: try JSONEncoder().encode(transform), as: UTF8.self)
        #expect(!encoded.contains("settings"))
        #expect(TrainyardModel.readableVersions.contains(1))
    }
}
