import Foundation
import Serving
import Testing
import TrainyardML

/// A churn model trained once for these tests.
let churnModel: TrainyardModel = {
    let table = try! CSVReader.read(bytes: Array(SyntheticChurn.csv(rows: 300, seed: 3).utf8), name: "churn.csv")
    var request = TrainingRequest(label: "churned")
    request.gbdt.trees = 3
    return try! TrainingPipeline.run(train: table, request: request).model
}()

let features = FeatureTable(model: churnModel)

nonisolated(unsafe) let record: [String: Any] = ["tenure_months": 11, "monthly_charges": 88.77, "total_charges": 975.07, "contract": "one-year",
                             "payment_method": "electronic-check", "internet_service": "fiber", "support_calls": 5, "age": 33,
                             "senior": 0, "region": "central"]

func json(_ text: String) throws -> JSONValue { try JSONInput.parse(Array(text.utf8)) }

func body(_ object: Any) throws -> JSONValue {
    try JSONInput.parse(Array(try JSONSerialization.data(withJSONObject: object)))
}

func expectInputError(_ fragment: String, status: Int = 400, _ body: () throws -> Any) {
    do {
        _ = try body()
        Issue.record("expected an input error containing \(fragment)")
    } catch let error as InputError {
        #expect(Int(error.status.code) == status)
        #expect(error.message.contains(fragment), "\(error.message)")
    } catch {
        Issue.record("unexpected \(error)")
    }
}

struct PayloadDecoderTests {
    @Test func everyPayloadShapeGivesTheSameTable() throws {
        let names = features.inputs.map(\.name)
        let row = names.map { record[$0]! }
        let expected = try features.table(records: [try body(record), try body(record)])
        let bodies: [(String, Any)] = [
            ("predict array", [record, record]),
            ("predict records", ["records": [record, record]]),
            ("dataframe_split", ["dataframe_split": ["columns": names, "data": [row, row]]]),
            ("dataframe_records", ["dataframe_records": [record, record]]),
            ("instances records", ["instances": [record, record]]),
            ("instances rows", ["instances": [row, row]]),
            ("inputs columns", ["inputs": Dictionary(uniqueKeysWithValues: names.map { ($0, [record[$0]!, record[$0]!]) })]),
        ]
        for (label, payload) in bodies {
            let table = label.hasPrefix("predict") ? try PayloadDecoder.predict(try body(payload), features: features)
                                                   : try PayloadDecoder.invocations(try body(payload), features: features)
            #expect(table == expected, "\(label)")
        }
        let v2: [String: Any] = ["inputs": names.map { name -> [String: Any] in
            let numeric = features.inputs.first { $0.name == name }!.kind == .numeric
            return ["name": name, "shape": [2], "datatype": numeric ? "FP32" : "BYTES", "data": [record[name]!, record[name]!]]
        }]
        #expect(try PayloadDecoder.v2(try body(v2), features: features) == expected)
        let single = try churnModel.predict(try PayloadDecoder.predict(try body(record), features: features))
        #expect(try churnModel.predict(expected) == single + single)
    }

    @Test func nullIsMissingAndNumbersAreCategoriesByTheirText() throws {
        var sparse = record
        sparse["total_charges"] = NSNull()
        sparse["region"] = NSNull()
        sparse["senior"] = 1
        let table = try PayloadDecoder.predict(try body(sparse), features: features)
        guard case .numeric(let charges) = table["total_charges"], case .categorical(let codes, _) = table["region"] else {
            Issue.record("wrong column kinds"); return
        }
        #expect(charges[0].isNaN && codes == [-1])
        #expect(try churnModel.predict(table).count == 1)
    }

    @Test func badInputIsRefusedNamingTheField() throws {
        var mistyped = record
        mistyped["age"] = "thirty"
        var missing = record
        missing.removeValue(forKey: "contract")
        var nested = record
        nested["region"] = ["north"]
        expectInputError("malformed JSON") { try json("{\"age\": 3") }
        expectInputError("body is empty") { try json("") }
        expectInputError("feature 'age' (row 0) must be a number or null, got a string (\"thirty\")") {
            try PayloadDecoder.predict(try body(mistyped), features: features)
        }
        expectInputError("record 1 is missing feature 'contract'") { try PayloadDecoder.predict(try body([record, missing]), features: features) }
        expectInputError("feature 'region' (row 0) must be a string or null, got an array") {
            try PayloadDecoder.predict(try body(nested), features: features)
        }
        expectInputError("record 1 must be a JSON object") { try PayloadDecoder.predict(try body([record, 5]), features: features) }
        expectInputError("the batch is empty") { try PayloadDecoder.predict(try body([Any]()), features: features) }
        expectInputError("got a number") { try PayloadDecoder.predict(try json("42"), features: features) }
        expectInputError("expected one of 'dataframe_split'") { try PayloadDecoder.invocations(try body(["rows": [record]]), features: features) }
        expectInputError("give only one of") {
            try PayloadDecoder.invocations(try body(["instances": [record], "inputs": [record]]), features: features)
        }
        expectInputError("row 0 has 2 values; expected 10") {
            try PayloadDecoder.invocations(try body(["instances": [[1, 2]]]), features: features)
        }
        expectInputError("dataframe_split: row 1 has 2 values; expected 1 (age)") {
            try PayloadDecoder.invocations(try body(["dataframe_split": ["columns": ["age"], "data": [[1], [1, 2]]]]), features: features)
        }
        expectInputError("missing feature 'tenure_months'") {
            try PayloadDecoder.invocations(try body(["dataframe_split": ["columns": ["age"], "data": [[1]]]]), features: features)
        }
        expectInputError("input 'age': shape [3] needs 3 values, 'data' has 2") {
            try PayloadDecoder.v2(try body(["inputs": [["name": "age", "shape": [3], "datatype": "FP32", "data": [1, 2]]]]), features: features)
        }
        // A declared shape whose product passes Int.max used to trap the replica (and, retried by the proxy, every replica).
        expectInputError("input 'age': shape [100000000000000, 100000000000000] has more elements than any body can carry") {
            try PayloadDecoder.v2(try json(#"{"inputs":[{"name":"age","shape":[1e14,1e14],"datatype":"FP32","data":[1]}]}"#), features: features)
        }
        expectInputError("'datatype' must be one of") {
            try PayloadDecoder.v2(try body(["inputs": [["name": "age", "shape": [1], "datatype": "COMPLEX", "data": [1]]]]), features: features)
        }
        expectInputError("feature 'age' has 1 values, the others have 2") {
            let names = features.inputs.map(\.name)
            let columns = Dictionary(uniqueKeysWithValues: names.map { ($0, $0 == "age" ? [record[$0]!] : [record[$0]!, record[$0]!]) })
            return try PayloadDecoder.invocations(try body(["inputs": columns]), features: features)
        }
    }

    @Test func outputsPrintFloatsExactlyAndNameClasses() throws {
        let table = try PayloadDecoder.predict(try body([record, record]), features: features)
        let predictions = try churnModel.predict(table)
        #expect(try ModelPredictor(churnModel).predict(table) == predictions)
        let records = PredictionOutput.records(predictions, rows: 2, model: churnModel)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(records.utf8)) as? [[String: Any]])
        #expect(parsed.count == 2)
        let classes = try #require(PredictionOutput.classNames(churnModel))
        let probabilities = try #require(parsed[0]["probabilities"] as? [String: Double])
        #expect(probabilities.count == 2 && Float(probabilities[classes[1]]!) == predictions[0])
        #expect(Float(probabilities[classes[0]]!) == 1 - predictions[0])
        #expect(["yes", "no"].contains(parsed[0]["class"] as! String))
        let values = PredictionOutput.values(predictions, rows: 2, model: churnModel)
        #expect(values == "[\(predictions[0]),\(predictions[1])]")
        #expect(PredictionOutput.string("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
    }
}
