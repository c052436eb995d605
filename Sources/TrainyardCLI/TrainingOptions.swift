import ArgumentParser
import Foundation
import TrainyardML

/// The options shared by `trainyard train` and `trainyard submit train`: what to train on
/// and how, as a ``TrainingSpec``.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Training data (CSV with a header, or LIBSVM).") var data: String?
    @Option(help: "Jobs only (`submit train|tune`): a dataset of the registry's store, NAME or NAME@VERSION, instead of --data.")
    var dataset: String?
    @Option(help: "Name of the label column.") var label: String
    @Option(help: "Validation data (CSV); default: none, or --valid-fraction.") var valid: String?
    @Option(help: "Hold out this fraction of the training rows for validation (stratified).") var validFraction: Double?
    @Option(help: "Model family: gbdt or linear.") var model: String = "gbdt"
    @Option(help: "binary:logistic, reg:squarederror or multi:softprob (default: inferred from the label).") var objective: String?
    @Option(help: "One-hot encode categorical columns with at most this many levels.") var maxOneHot = 16
    @Option(help: ArgumentHelp("Hashed TF-IDF features per text column (0 leaves text out; default: sized from the vocabulary).",
                               valueName: "n")) var textBuckets: Int?
    @Option(help: ArgumentHelp("Word n-grams of text columns: 1 (words), 1-2 (words and pairs, so \"not boring\" is a term), up to 3.",
                               valueName: "min-max")) var textNgrams = "1-2"
    @Flag(inversion: .prefixedNo, help: "Text term counts as 1 + ln(count) (scikit-learn's sublinear_tf).") var textSublinearTf = true
    @Option(help: "Text row normalisation: l2 or none.") var textNorm = "l2"
    @Option(help: "Linear models: L-BFGS iteration limit.") var maxIter = 500
    @Option(help: "Linear models: stop when the largest gradient entry is at most this times the objective (scikit-learn's tol, on a sum).")
    var tol = LinearParameters().tolerance
    @Option(help: ArgumentHelp("Leave these columns out of the model (comma-separated or repeated), e.g. an id column.", valueName: "columns"))
    var drop: [String] = []
    @OptionGroup var gbdt: GBDTOptions
    @OptionGroup var dataOptions: DataOptions

    func validate() throws {
        guard TrainingRequest.ModelKind(rawValue: model) != nil else {
            throw ValidationError("--model must be gbdt or linear, got '\(model)'")
        }
        if valid != nil && validFraction != nil { throw ValidationError("use either --valid or --valid-fraction, not both") }
        if (data == nil) == (dataset == nil) { throw ValidationError("give the training data: --data FILE or (for jobs) --dataset NAME[@VERSION]") }
        _ = try textSettings()
    }

    /// Throws unless the data is a file: `--dataset` is for jobs on a coordinator.
    func requireFile() throws {
        guard dataset == nil else {
            throw CommandFailure("--dataset is for jobs on a coordinator (`trainyard submit train|tune`); here give --data FILE "
                                 + "(`trainyard datasets download \(dataset!) --out FILE` fetches it)")
        }
    }

    /// `--text-ngrams`, `--text-sublinear-tf` and `--text-norm` as settings; throws naming the bad one.
    func textSettings() throws -> TextSettings {
        guard let (low, high) = TextSettings.ngramRange(textNgrams) else {
            throw ValidationError("--text-ngrams takes N or MIN-MAX (e.g. 1-2), got '\(textNgrams)'")
        }
        guard let norm = TextSettings.Norm(rawValue: textNorm) else {
            throw ValidationError("--text-norm must be l2 or none, got '\(textNorm)'")
        }
        let settings = TextSettings(ngramMin: low, ngramMax: high, sublinearTF: textSublinearTf, norm: norm)
        if let problem = settings.problem { throw ValidationError("--text-ngrams: \(problem)") }
        return settings
    }

    var spec: TrainingSpec {
        var spec = TrainingSpec(data: dataOptions.source(data ?? ""), label: label)
        spec.data.dataset = dataset
        spec.validationPath = valid
        spec.validFraction = validFraction
        spec.model = TrainingRequest.ModelKind(rawValue: model) ?? .gbdt
        spec.objective = objective
        spec.gbdt = gbdt.parameters
        spec.linear.lambda = gbdt.lambda
        spec.linear.maxIterations = maxIter
        spec.linear.tolerance = tol
        spec.linear.threads = gbdt.threads
        spec.maxOneHot = maxOneHot
        spec.textBuckets = textBuckets
        spec.text = (try? textSettings()) ?? .standard
        let dropped = drop.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        spec.drop = dropped.isEmpty ? nil : dropped
        return spec
    }
}
