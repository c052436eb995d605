import Foundation
import Serving
import Testing
import TrainyardML

/// Categorical features as clients send them (issue 20): a number or boolean where a category belongs is refused
/// naming the feature unless it is a level the model knows; a category the model never saw is encoded as in
/// training and counted; CSV bodies are typed by the model.
struct CategoryInputTests {
    /// A model whose `plan` column holds codes (`1`, `2`, `3`): categorical because the training run said so.
    static let codedModel: TrainyardModel = {
        var csv = "plan,usage,label\n"
        for row in 0..<200 { csv += "\(row % 3 + 1),\(Double(row % 17) / 4),\(row % 3 == 0 ? 1 : 0)\n" }
        var options = CSVOptions()
        options.kinds = ["plan": .categorical]
        let table = try! CSVReader.read(bytes: Array(csv.utf8), name: "coded.csv", options: options)
        var request = TrainingRequest(label: "label")
        request.gbdt.trees = 3
        return try! TrainingPipeline.run(train: table, request: request).model
    }()

    @Test func aNumberForACategoryIsRefusedNamingTheFeatureAndItsLevels() throws {
        var mistyped = record
        mistyped["contract"] = 1
        expectInputError("feature 'contract' (row 0) is categorical: send its level as a string") {
            try PayloadDecoder.predict(try body(mistyped), features: features)
        }
        mistyped["contract"] = true
        expectInputError("got the boolean true") { try PayloadDecoder.predict(try body(mistyped), features: features) }
        // The same through dataframe_split's fast reader, which falls back to the general path on anything unusual.
        let names = features.inputs.map(\.name)
        let row = names.map { $0 == "contract" ? 2 : record[$0]! }
        expectInputError("feature 'contract'") {
            try PayloadDecoder.invocations(try body(["dataframe_split": ["columns": names, "data": [row]]]), features: features)
        }
    }

    @Test func aNumberThatIsAKnownLevelIsThatLevel() throws {
        let coded = FeatureTable(model: Self.codedModel)
        let asNumber = try PayloadDecoder.predict(try json(#"{"plan": 2, "usage": 1.5}"#), features: coded)
        let asString = try PayloadDecoder.predict(try json(#"{"plan": "2", "usage": 1.5}"#), features: coded)
        #expect(try Self.codedModel.predict(asNumber) == Self.codedModel.predict(asString))
        expectInputError("feature 'plan' (row 0) is categorical: send its level as a string (\"1\", \"2\", \"3\"); got the number 7") {
            try PayloadDecoder.predict(try json(#"{"plan": 7, "usage": 1.5}"#), features: coded)
        }
        // As a string, an unknown code is an unseen category.
        let unseen = try PayloadDecoder.predict(try json(#"[{"plan": "7", "usage": 1.5}, {"plan": "1", "usage": 0}]"#), features: coded)
        #expect(coded.unseenCategories(in: unseen) == ["plan": 1])
    }

    @Test func unseenCategoriesAreEncodedAsAllZeroAndCounted() throws {
        var novel = record
        novel["contract"] = "lifetime"
        novel["region"] = "atlantis"
        let table = try PayloadDecoder.predict(try body([novel, record, novel]), features: features)
        #expect(features.unseenCategories(in: table) == ["contract": 2, "region": 2])
        #expect(features.unseenCategories(in: try PayloadDecoder.predict(try body(record), features: features)).isEmpty)
        // Encoded like a missing level: the one-hot block of the feature is all zero.
        let encoded = try churnModel.preprocessor.transform(table)
        let names = churnModel.preprocessor.featureNames
        for (index, name) in names.enumerated() where name.hasPrefix("contract=") {
            #expect(encoded[0, index] == 0 && encoded[2, index] == 0, "\(name)")
        }
    }

    @Test func csvBodiesAreTypedByTheModel() throws {
        let names = features.inputs.map(\.name)
        let values = names.map { "\(record[$0]!)" }
        // An extra column the model ignores, columns in another order.
        let csv = (["id"] + names.reversed()).joined(separator: ",") + "\n" + (["17"] + values.reversed()).joined(separator: ",") + "\n"
        let fromCSV = try CSVInput.table(Array(csv.utf8), features: features)
        let fromJSON = try PayloadDecoder.predict(try body(record), features: features)
        #expect(try churnModel.predict(fromCSV) == churnModel.predict(fromJSON))

        expectInputError("lacks feature 'age'") {
            try CSVInput.table(Array((names.filter { $0 != "age" }.joined(separator: ",") + "\n").utf8), features: features)
        }
        let broken = names.joined(separator: ",") + "\n" + values.joined(separator: ",") + "\n" + values.dropLast().joined(separator: ",") + "\n"
        expectInputError("the CSV body:3: expected 10 fields") { try CSVInput.table(Array(broken.utf8), features: features) }
        let badNumber = names.joined(separator: ",") + "\n" + names.map { $0 == "age" ? "old" : "\(record[$0]!)" }.joined(separator: ",") + "\n"
        expectInputError("age") { try CSVInput.table(Array(badNumber.utf8), features: features) }
    }

    @Test func binaryAnswersNameBothClasses() throws {
        let table = try PayloadDecoder.predict(try body(record), features: features)
        let predictions = try churnModel.predict(table)
        let classes = try #require(PredictionOutput.classNames(churnModel))
        #expect(classes.count == 2)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(PredictionOutput.records(predictions, rows: 1, model: churnModel).utf8))
            as? [[String: Any]])
        let probabilities = try #require(parsed[0]["probabilities"] as? [String: Double])
        #expect(Set(probabilities.keys) == Set(classes))
        #expect(parsed[0]["class"] as? String == classes[predictions[0] > 0.5 ? 1 : 0])
        #expect(parsed[0]["probability"] == nil)
    }
}
