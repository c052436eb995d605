import Serving
import TrainyardML

/// The model the payload targets predict with: a small GBDT on the synthetic churn data, with numeric,
/// categorical and text features (`region` is read as text), trained once per process, deterministically.
enum FuzzModel {
    static let model: TrainyardModel = {
        var options = CSVOptions()
        options.kinds = ["region": .text]
        options.threads = 1
        let csv = Array(SyntheticChurn.csv(rows: 200, seed: 5).utf8)
        do {
            let table = try CSVReader.read(bytes: csv, name: "churn.csv", options: options)
            var request = TrainingRequest(label: "churned")
            request.gbdt.trees = 3
            request.gbdt.maxDepth = 3
            request.gbdt.threads = 1
            return try TrainingPipeline.run(train: table, request: request).model
        } catch {
            preconditionFailure("the fuzz model trains on synthetic data: \(error)")
        }
    }()

    static let features = FeatureTable(model: model)
    static let predictor = ModelPredictor(model)

    /// A record of every input with an ordinary value.
    static var record: JSONValue {
        .object(JSONObject(features.inputs.map { input in
            switch input.kind {
            case .numeric: (key: input.name, value: .number(12.5))
            case .categorical: (key: input.name, value: .string("one-year"))
            case .text: (key: input.name, value: .string("north coast"))
            }
        }))
    }
}
