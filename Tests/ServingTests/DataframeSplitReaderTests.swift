import Foundation
@testable import Serving
import Testing
import TrainyardML

/// The `dataframe_split` fast path and the pipelined batch must give exactly what the general
/// path gives, and leave every body they do not take to it.
struct DataframeSplitReaderTests {
    /// The general path's answer for a body: its table or its error message.
    func general(_ text: String) -> Swift.Result<Table, InputError> {
        Swift.Result { () throws(InputError) in try PayloadDecoder.invocations(try JSONInput.parse(Array(text.utf8)), features: features) }
    }

    /// Table equality with missing values (NaN) equal to each other.
    func same(_ a: Table, _ b: Table) -> Bool {
        guard a.names == b.names, a.columns.count == b.columns.count else { return false }
        return zip(a.columns, b.columns).allSatisfy { pair in
            switch pair {
            case (.numeric(let x), .numeric(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
            default: pair.0 == pair.1
            }
        }
    }

    /// A random cell for a feature: mostly well typed, sometimes null, a number for a
    /// category, a boolean, an escaped or non-ASCII string, or (when `wrong`) a mistyped value.
    func cell(_ input: InputColumn, wrong: Bool, random: inout SplitMix64) -> String {
        let levels = ["one-year", "fiber", "central", "caf\\u00e9", "a\\\"b", "naïve", "", "3"]
        switch Int.random(in: 0..<12, using: &random) {
        case 0: return "null"
        case 1 where input.kind == .numeric || wrong: return Bool.random(using: &random) ? "true" : "false"
        case 2 where wrong: return input.kind == .numeric ? "\"x\"" : ["[1]", "3"][Int.random(in: 0..<2, using: &random)]
        default:
            switch input.kind {
            case .numeric:
                return ["0", "-1.5", "88.77", "1e3", "-0.0", "123456789012345678901", "2.5E-7"][Int.random(in: 0..<7, using: &random)]
            case .categorical, .text:
                // Numbers are not categories (unless the model knows their text, which this one does not).
                if Int.random(in: 0..<4, using: &random) == 0 { return ["\"3\"", "\"2.5\"", "\"-7\""][Int.random(in: 0..<3, using: &random)] }
                return "\"" + levels[Int.random(in: 0..<levels.count, using: &random)] + "\""
            }
        }
    }

    /// A random `dataframe_split` body: shuffled and extra columns, random whitespace,
    /// sometimes an `index` member, a bad row, or members out of the usual order.
    func randomBody(rows: Int, random: inout SplitMix64) -> (text: String, unusual: Bool) {
        var columns = features.inputs.map(\.name)
        if Bool.random(using: &random) { columns.append("unused") }
        columns.shuffle(using: &random)
        let inputs = Dictionary(uniqueKeysWithValues: features.inputs.map { ($0.name, $0) })
        let space = { (random: inout SplitMix64) in [" ", "", "\n", "\t ", ""][Int.random(in: 0..<5, using: &random)] }
        var unusual = false
        var data: [String] = []
        for _ in 0..<rows {
            let wrong = Int.random(in: 0..<40, using: &random) == 0
            var values = columns.map { name -> String in
                guard let input = inputs[name] else { return ["1", "\"extra\"", "{\"a\":[1]}", "null"][Int.random(in: 0..<4, using: &random)] }
                return cell(input, wrong: wrong, random: &random)
            }
            if Int.random(in: 0..<60, using: &random) == 0 { values.removeLast(); unusual = true }
            unusual = unusual || wrong
            data.append("[" + values.map { space(&random) + $0 + space(&random) }.joined(separator: ",") + "]")
        }
        let columnsText = "\"columns\":" + space(&random) + "[" + columns.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        let dataText = "\"data\":" + space(&random) + "[" + data.joined(separator: "," + space(&random)) + "]"
        var members = [columnsText, dataText]
        if Bool.random(using: &random) { members.insert("\"index\": [0]", at: Int.random(in: 0...2, using: &random)) }
        if Int.random(in: 0..<8, using: &random) == 0 { members.swapAt(0, 1) }
        let text = space(&random) + "{\"dataframe_split\":" + space(&random) + "{" + members.joined(separator: ",") + "}" + space(&random) + "}" + space(&random)
        return (text, unusual)
    }

    @Test func randomBodiesGiveTheGeneralPathsTableOrAreLeftToIt() throws {
        var random = SplitMix64(seed: 11)
        var taken = 0
        for _ in 0..<400 {
            let (text, _) = randomBody(rows: Int.random(in: 1...12, using: &random), random: &random)
            let fast = DataframeSplitReader.table(Array(text.utf8), features: features)
            switch general(text) {
            case .success(let table):
                if let fast {
                    #expect(same(fast, table), "\(text)")
                    taken += 1
                }
            case .failure(let error):
                #expect(fast == nil, "the fast path took a body the general path refuses (\(error.message)): \(text)")
            }
        }
        // Most well-formed bodies take the fast path (only `data` before `columns` is declined).
        #expect(taken > 200, "\(taken)")
    }

    @Test func unusualBodiesAreLeftToTheGeneralPath() throws {
        let names = features.inputs.map(\.name)
        let row = String(decoding: try JSONSerialization.data(withJSONObject: names.map { record[$0]! }), as: UTF8.self)
        #expect(row.contains("33"))  // the age, replaced below
        let columns = "[" + names.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let good = "{\"dataframe_split\": {\"columns\": \(columns), \"data\": [\(row), \(row)]}}"
        #expect(DataframeSplitReader.table(Array(good.utf8), features: features) != nil)
        let declined = [
            "{\"dataframe_split\": {\"data\": [\(row)], \"columns\": \(columns)}}",               // data first
            "{\"dataframe_split\": {\"columns\": \(columns), \"columns\": \(columns), \"data\": [\(row)]}}",
            "{\"dataframe_split\": {\"columns\": \(columns), \"data\": [\(row)]}, \"instances\": []}",
            "{\"params\": {}, \"dataframe_split\": {\"columns\": \(columns), \"data\": [\(row)]}}",
            "{\"dataframe_split\": {\"columns\": \(columns), \"data\": []}}",
            "{\"dataframe_split\": {\"columns\": \(columns), \"data\": [\(row)]}",                 // unterminated
            "{\"dataframe_split\": {\"columns\": \(columns), \"data\": [\(row)]}} x",
            "{\"dataframe_split\": {\"columns\": \(columns), \"data\": [[1, 2]]}}",
            "{\"dataframe_split\": {\"columns\": [\"age\"], \"data\": [[1]]}}",
            "{\"dataframe_split\": {\"columns\": \(columns), \"data\": [\(row.replacingOccurrences(of: "33", with: "\"x\""))]}}",
            "{\"dataframe_split\": {\"columns\": \(columns), \"data\": [\(row.replacingOccurrences(of: "33", with: "033"))]}}",
            "[\(row)]",
            "{\"age\": 3}",
        ]
        for text in declined {
            #expect(DataframeSplitReader.table(Array(text.utf8), features: features) == nil, "\(text)")
        }
    }

    @Test func chunksConcatenateToTheWholeTable() throws {
        var random = SplitMix64(seed: 5)
        var text = ""
        repeat { text = randomBody(rows: 20, random: &random).text } while (try? general(text).get()) == nil
            || DataframeSplitReader.table(Array(text.utf8), features: features) == nil
        let whole = try general(text).get()
        var chunks: [Table] = []
        #expect(DataframeSplitReader.read(Array(text.utf8), features: features, chunkRows: 7) { chunks.append($0) })
        #expect(chunks.map(\.rows) == [7, 7, 6])
        let predicted = try chunks.flatMap { try churnModel.predict($0) }
        #expect(predicted == (try churnModel.predict(whole)))
    }

    @Test func pipelinedBatchesPredictExactlyTheWholeBatch() async throws {
        let served = ServedModel(name: "churn", version: 1, sha256: "", model: churnModel)
        let csv = try CSVReader.read(bytes: Array(SyntheticChurn.csv(rows: 5000, seed: 9).utf8), name: "rows.csv")
        let names = served.features.inputs.map(\.name)
        var rows: [String] = []
        for row in 0..<csv.rows {
            let cells = names.map { name -> String in
                switch csv[name]! {
                case .numeric(let values): values[row].isNaN ? "null" : "\(values[row])"
                case .categorical(let codes, let levels): codes[row] < 0 ? "null" : "\"\(levels[Int(codes[row])])\""
                case .text(let values): "\"\(values[row])\""
                }
            }
            rows.append("[" + cells.joined(separator: ",") + "]")
        }
        let text = "{\"dataframe_split\":{\"columns\":[" + names.map { "\"\($0)\"" }.joined(separator: ",") + "],\"data\":[" + rows.joined(separator: ",") + "]}}"
        let expected = try churnModel.predict(try general(text).get())
        for _ in 0..<3 {
            let batch = try await PipelinedBatch.predict(Array(text.utf8), served: served) { predictions, rows in
                PredictionOutput.valueElements(predictions, rows: rows, model: churnModel)
            }
            #expect(batch?.rows == 5000)
            #expect(batch.map { "[" + $0.elements + "]" } == PredictionOutput.values(expected, rows: 5000, model: churnModel))
        }
        let records = try await PipelinedBatch.predict(Array(text.utf8), served: served) { predictions, rows in
            PredictionOutput.recordElements(predictions, rows: rows, model: churnModel)
        }
        #expect(records.map { "[" + $0.elements + "]" } == PredictionOutput.records(expected, rows: 5000, model: churnModel))
        // A body the reader declines comes back nil, whatever it had already handed over.
        let broken = String(text.dropLast(3)) + ",[1]]}}"
        #expect(try await PipelinedBatch.predict(Array(broken.utf8), served: served) { _, _ in "" } == nil)
    }
}
