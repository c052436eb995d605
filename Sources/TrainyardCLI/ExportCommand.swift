import ArgumentParser
import Foundation
import TrainyardML

/// `trainyard export`: write a model in another library's format.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a gradient-boosted tree model as an XGBoost JSON booster."
    )

    @Option(help: "Model file.") var model: String
    @Option(help: "Output format (xgboost-json).") var format = "xgboost-json"
    @Option(help: "Output file.") var out: String

    func validate() throws {
        guard format == "xgboost-json" else { throw ValidationError("--format must be xgboost-json, got '\(format)'") }
    }

    func run() throws {
        let trained = try ModelFile.read(path: model)
        guard case .gbdt(let gbdt) = trained.estimator else {
            throw CommandFailure("only gradient-boosted tree models can be exported as XGBoost JSON; \(model) is \(trained.estimator.kind)")
        }
        let names = trained.preprocessor.featureNames
        try AtomicFile.write(Array(XGBoostJSON.export(gbdt, featureNames: names, featureTypes: trained.preprocessor.featureTypes).utf8), to: out)
        let encoded = trained.preprocessor.inputs.contains { if case .passthrough = $0.transform { false } else { true } }
        print("wrote \(out): \(gbdt.trees.count) trees over \(names.count) features")
        if encoded {
            print("note: the booster takes the preprocessed features (booster.feature_names, in order: \(names.joined(separator: ", ")))")
            if trained.preprocessor.featureTypes.contains("i") {
                print("note: one-hot columns (name=level) are 1 for their level and 0 otherwise; a missing or unseen category is all zeros")
            }
        }
    }
}
