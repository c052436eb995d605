import ArgumentParser
import Foundation
import TrainyardML

/// `trainyard import`: turn another library's model into a Trainyard model file.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an XGBoost JSON model (binary, regression, multiclass) as a Trainyard model."
    )

    @Option(name: .customLong("xgboost"), help: "XGBoost JSON model file (Booster.save_model(\"m.json\")).") var xgboost: String
    @Option(help: "Name of the label column, for evaluate.") var label = "label"
    @Option(help: "Where to write the Trainyard model.") var out: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: xgboost) else { throw CommandFailure("cannot read \(xgboost)") }
        let (gbdt, names) = try XGBoostJSON.importModel(data)
        let preprocessor = Preprocessor(target: .trees, inputs: names.map { InputColumn(name: $0, kind: .numeric, transform: .passthrough) })
        let record = TrainyardModel.TrainingRecord(
            createdAt: ISO8601DateFormatter().string(from: Date()), software: "xgboost (imported by trainyard \(Trainyard.version))",
            parameters: ["objective": gbdt.objective.name, "model": "gbdt", "imported_from": URL(fileURLWithPath: xgboost).lastPathComponent],
            metrics: [:], trainRows: 0, validationRows: 0,
            datasetSHA256: try? FileFingerprint.sha256(path: xgboost))
        let model = TrainyardModel(label: LabelEncoding(name: label, classes: nil), preprocessor: preprocessor,
                                   estimator: .gbdt(gbdt), training: record)
        try ModelFile.write(model, to: out)
        print("imported \(gbdt.trees.count) trees (\(gbdt.objective.name), \(gbdt.featureCount) features: \(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", …" : "")) into \(out)")
    }
}
