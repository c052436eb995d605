import Foundation
import TestSupport
import Testing
import TrainyardML

/// A sentiment model (word n-grams) served by a replica answers exactly what `trainyard predict` does (ports 57330–57339).
@Suite(.serialized)
struct SentimentServingTests {
    @Test func aReplicaServesAnNgramModelExactlyAsTrainyardPredicts() async throws {
        let stack = try ServingStack(basePort: 57330)
        defer { stack.stop() }
        try await stack.run(["data", "synth", "--kind", "reviews", "--rows", "3000", "--seed", "3", "--out", stack.path("reviews.csv")])
        try await stack.run(["train", "--data", stack.path("reviews.csv"), "--label", "sentiment", "--model", "linear",
                             "--text-ngrams", "1-2", "--out", stack.path("sentiment.model")])
        let model = try ModelFile.read(path: stack.path("sentiment.model"))
        guard case .hashedTFIDF(_, let settings) = try #require(model.preprocessor.inputs.first).transform else {
            Issue.record("the review column is not hashed TF-IDF: \(model.preprocessor.inputs)")
            return
        }
        #expect(settings?.ngramMax == 2)
        try await stack.start("replica", ["serve", "--model-file", stack.path("sentiment.model"), "--listen", "127.0.0.1:57331", "--log", "none"],
                              ready: "replica listening")
        try await waitUntil("the replica to load its model") { (try? await stack.get("http://127.0.0.1:57331/v2/health/ready").status) == 200 }

        // `trainyard predict`'s probability of the second class, per row, against the replica's for the same reviews.
        let expected = try await stack.run(["predict", "--model", stack.path("sentiment.model"), "--data", stack.path("reviews.csv")])
            .split(separator: "\n").dropFirst().prefix(200).map { Float(String($0.split(separator: ",")[0]))! }
        let table = try CSVReader.read(path: stack.path("reviews.csv"))
        guard case .text(let documents) = try #require(table["review"]) else {
            Issue.record("review is not read as text")
            return
        }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["records": documents.prefix(200).map { ["review": $0] }]), as: UTF8.self)
        let reply = try await stack.post("http://127.0.0.1:57331/predict", body)
        #expect(reply.status == 200, "\(reply.body.prefix(300))")
        let answers = try #require((reply.json as? [String: Any])?["predictions"] as? [[String: Any]])
        let classes = try #require(model.label.classes)
        #expect(answers.map { Float(($0["probabilities"] as! [String: Double])[classes[1]]!) } == expected)

        // Word pairs at work through the replica: negating the criticism moves the review towards praise.
        var positive: [Double] = []
        for review in ["The plot was boring and the acting was dull.", "The plot was not boring and the acting was never dull."] {
            let reply = try await stack.post("http://127.0.0.1:57331/predict", String(decoding: try JSONSerialization.data(withJSONObject: ["review": review]), as: UTF8.self))
            let answer = try #require(((reply.json as? [String: Any])?["predictions"] as? [[String: Any]])?.first, "\(reply.body)")
            positive.append(try #require((answer["probabilities"] as? [String: Double])?["positive"]))
        }
        #expect(positive[1] > positive[0] + 0.1, "P(positive): plain \(positive[0]), negated \(positive[1])")
    }
}
