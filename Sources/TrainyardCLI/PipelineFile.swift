import ArgumentParser
import DistributedTraining
import Foundation
import ModelRegistry
import TrainyardML
import Tuning
import Yams

/// A pipeline file (YAML) read into the ``PipelineSpec`` the coordinator keeps.
///
/// ```yaml
/// name: churn
/// dataset: churn                  # the registry dataset it trains on
/// trigger: {new_version: true, every: 1h}
/// quality: {min_rows: 1000, max_missing: 0.2, required_columns: [tenure], schema: compatible, min_class_fraction: 0.05}
/// train:                          # any option of `submit train`, without the dashes (or `tune:` with those of `submit tune`)
///   label: churned
///   n-trees: 100
///   workers: 2
/// evaluate: {metric: auc, holdout: 0.2, threshold: 0.8, max_regression: 0.005}
/// register: {model: churn}
/// approval: auto                  # or manual
/// promote: production             # the alias replicas follow
/// ```
///
/// The training options go through the same parser as the command line's, so every option,
/// default and error message is the same; each error names the YAML field.
enum PipelineFile {
    static let keys: Set<String> = ["name", "dataset", "trigger", "quality", "train", "tune", "evaluate", "register", "approval", "promote"]

    /// Reads `path`; throws a ``CommandFailure`` naming the file and the field.
    static func read(_ path: String) throws -> PipelineSpec {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CommandFailure("cannot read the pipeline file \(path): \(error.localizedDescription)")
        }
        do {
            var spec = try parse(text, directory: (path as NSString).deletingLastPathComponent)
            spec.source = text
            return spec
        } catch let error as PipelineSpecError {
            throw CommandFailure("\(path): \(error)")
        }
    }

    /// Parses a pipeline from YAML; a `tune.space` path is read relative to `directory`.
    static func parse(_ text: String, directory: String) throws -> PipelineSpec {
        let root: [String: Any]
        do {
            guard let loaded = try Yams.load(yaml: text) as? [String: Any] else { throw PipelineSpecError.invalid("pipeline", "must be a YAML mapping") }
            root = loaded
        } catch let error as PipelineSpecError {
            throw error
        } catch {
            throw PipelineSpecError.invalid("pipeline", "not valid YAML: \(error)")
        }
        if let unknown = root.keys.sorted().first(where: { !keys.contains($0) }) {
            throw PipelineSpecError.invalid(unknown, "unknown field; the fields are \(keys.sorted().joined(separator: ", "))")
        }
        let name = try string(root, "name")
        let dataset = try string(root, "dataset")
        guard (root["train"] == nil) != (root["tune"] == nil) else {
            throw PipelineSpecError.invalid("train", "give exactly one of train: (a training job) or tune: (a study)")
        }
        let tuning = root["tune"] != nil
        let section = tuning ? "tune" : "train"
        var options = try mapping(root, section)
        let workers = try int(options.removeValue(forKey: "workers"), "\(section).workers") ?? 1
        let workersPerTrial = try int(options.removeValue(forKey: "workers-per-trial"), "tune.workers-per-trial") ?? 1
        let maxRounds = try int(options.removeValue(forKey: "max-rounds"), "tune.max-rounds")
        for forbidden in ["data", "dataset", "valid", "valid-fraction"] where options[forbidden] != nil {
            throw PipelineSpecError.invalid("\(section).\(forbidden)", "a pipeline trains on its dataset and holds out evaluate.holdout of it")
        }
        let spaceText = tuning ? try space(options.removeValue(forKey: "space"), in: text, directory: directory) : nil
        let (training, studyOptions) = try parseOptions(options, section: section)
        var spec = training.spec
        spec.data.dataset = dataset
        var study: StudyPlan?
        if let spaceText, let studyOptions {
            if let maxRounds { spec.gbdt.trees = maxRounds }
            let plan = studyOptions.plan(space: spaceText, workersPerTrial: workersPerTrial)
            do { try plan.check(rounds: StudyPlan.budget(of: spec)) } catch { throw PipelineSpecError.invalid("tune.space", "\(error)") }
            study = plan
        }

        let evaluate = try mapping(root, "evaluate")
        var metric = try string(evaluate, "metric", in: "evaluate", default: spec.objective == "reg:squarederror" ? "rmse" : "auc")
        if metric.hasPrefix("valid.") { metric.removeFirst("valid.".count) }
        var gate = PipelineSpec.EvaluationGate(metric: metric)
        gate.holdout = try double(evaluate["holdout"], "evaluate.holdout") ?? 0.2
        gate.threshold = try double(evaluate["threshold"], "evaluate.threshold")
        gate.maxRegression = try double(evaluate["max_regression"], "evaluate.max_regression") ?? 0
        try rejectUnknown(evaluate, in: "evaluate", known: ["metric", "holdout", "threshold", "max_regression"])

        let register = try mapping(root, "register", required: false)
        try rejectUnknown(register, in: "register", known: ["model"])
        var pipeline = PipelineSpec(name: name, dataset: dataset,
                                    job: JobSubmit(spec: spec, workers: tuning ? workersPerTrial : workers, study: study),
                                    evaluation: gate, model: try string(register, "model", in: "register", default: name))

        let trigger = try mapping(root, "trigger", required: false)
        try rejectUnknown(trigger, in: "trigger", known: ["new_version", "every"])
        pipeline.triggers.newVersion = try bool(trigger["new_version"], "trigger.new_version") ?? true
        if let every = trigger["every"] {
            guard let duration = DurationArgument(argument: "\(every)") else {
                throw PipelineSpecError.invalid("trigger.every", "a duration such as 30s, 10m or 1h, got '\(every)'")
            }
            pipeline.triggers.everySeconds = duration.duration / .seconds(1)
        }

        let quality = try mapping(root, "quality", required: false)
        try rejectUnknown(quality, in: "quality", known: ["min_rows", "max_missing", "required_columns", "schema", "min_class_fraction"])
        pipeline.quality.minRows = try int(quality["min_rows"], "quality.min_rows")
        switch quality["max_missing"] {
        case let byColumn as [String: Any]:
            for (column, value) in byColumn {
                let limit = try double(value, "quality.max_missing.\(column)")
                if column == "default" { pipeline.quality.maxMissing = limit } else { pipeline.quality.maxMissingByColumn[column] = limit }
            }
        case let value: pipeline.quality.maxMissing = try double(value, "quality.max_missing")
        }
        if let columns = quality["required_columns"] {
            guard let list = columns as? [Any] else { throw PipelineSpecError.invalid("quality.required_columns", "must be a list of column names") }
            pipeline.quality.requiredColumns = list.map { "\($0)" }
        }
        switch "\(quality["schema"] ?? "compatible")" {
        case "compatible": pipeline.quality.schemaCompatible = true
        case "any": pipeline.quality.schemaCompatible = false
        case let other: throw PipelineSpecError.invalid("quality.schema", "compatible or any, got '\(other)'")
        }
        pipeline.quality.minClassFraction = try double(quality["min_class_fraction"], "quality.min_class_fraction")

        let approval = "\(root["approval"] ?? "auto")"
        guard let policy = PipelineSpec.Approval(rawValue: approval) else {
            throw PipelineSpecError.invalid("approval", "auto or manual, got '\(approval)'")
        }
        pipeline.approval = policy
        pipeline.alias = "\(root["promote"] ?? "production")"
        try pipeline.validate(isValidName: ModelName.isValid)
        return pipeline
    }

    /// The options of `submit tune` that shape the study rather than each trial.
    static let studyKeys: Set<String> = ["strategy", "trials", "parallel", "metric", "direction", "grace", "median-stopping", "grid-points"]

    /// The `train:`/`tune:` mapping as command-line options, parsed by the command line's own parsers.
    private static func parseOptions(_ options: [String: Any], section: String) throws -> (training: TrainingOptions, study: StudyOptions?) {
        var training: [String] = [], study: [String] = []
        for key in options.keys.sorted() {
            guard let value = options[key] else { continue }
            let flag = "--\(key)"
            var arguments: [String]
            switch value {
            case let on as Bool: arguments = [on ? flag : "--no-\(key)"]
            case let list as [Any]: arguments = [flag, list.map { "\($0)" }.joined(separator: ",")]
            default: arguments = [flag, "\(value)"]
            }
            if section == "tune" && studyKeys.contains(key) { study += arguments } else { training += arguments }
        }
        do {
            // The dataset is the pipeline's, and the space was read already: placeholders satisfy the parsers.
            let parsed = try TrainingOptions.parse(training + ["--dataset", "pipeline"])
            return (parsed, section == "tune" ? try StudyOptions.parse(study + ["--space", "inline"]) : nil)
        } catch {
            let message = TrainingOptions.message(for: error).replacingOccurrences(of: "--", with: "\(section).")
            throw PipelineSpecError.invalid(section, message)
        }
    }

    /// `tune.space`: a mapping written inline (kept in file order: conditions name earlier
    /// parameters), or the path of a search-space file.
    private static func space(_ value: Any?, in text: String, directory: String) throws -> String {
        switch value {
        case nil:
            throw PipelineSpecError.invalid("tune.space", "missing: the search space, inline or the path of its YAML file")
        case is [String: Any]:
            do {
                guard let node = try Yams.compose(yaml: text)?.mapping?["tune"]?.mapping?["space"] else {
                    throw PipelineSpecError.invalid("tune.space", "cannot be read")
                }
                return try Yams.serialize(node: node)
            } catch let error as PipelineSpecError {
                throw error
            } catch {
                throw PipelineSpecError.invalid("tune.space", "\(error)")
            }
        case let path as String:
            let full = path.hasPrefix("/") ? path : (directory.isEmpty ? path : directory + "/" + path)
            do { return try String(contentsOfFile: full, encoding: .utf8) } catch {
                throw PipelineSpecError.invalid("tune.space", "cannot read \(full): \(error.localizedDescription)")
            }
        default:
            throw PipelineSpecError.invalid("tune.space", "a mapping or a file path")
        }
    }

    private static func mapping(_ root: [String: Any], _ key: String, required: Bool = true) throws -> [String: Any] {
        guard let value = root[key] else {
            if required { throw PipelineSpecError.invalid(key, "missing") }
            return [:]
        }
        guard let mapping = value as? [String: Any] else { throw PipelineSpecError.invalid(key, "must be a mapping") }
        return mapping
    }

    private static func rejectUnknown(_ mapping: [String: Any], in section: String, known: Set<String>) throws {
        if let unknown = mapping.keys.sorted().first(where: { !known.contains($0) }) {
            throw PipelineSpecError.invalid("\(section).\(unknown)", "unknown field; the fields are \(known.sorted().joined(separator: ", "))")
        }
    }

    private static func string(_ mapping: [String: Any], _ key: String, in section: String? = nil, default fallback: String? = nil) throws -> String {
        let field = section.map { "\($0).\(key)" } ?? key
        guard let value = mapping[key] else {
            if let fallback { return fallback }
            throw PipelineSpecError.invalid(field, "missing")
        }
        guard value is String || value is Int else { throw PipelineSpecError.invalid(field, "must be text") }
        return "\(value)"
    }

    private static func int(_ value: Any?, _ field: String) throws -> Int? {
        guard let value else { return nil }
        guard let number = value as? Int else { throw PipelineSpecError.invalid(field, "must be a whole number, got '\(value)'") }
        return number
    }

    private static func double(_ value: Any?, _ field: String) throws -> Double? {
        switch value {
        case nil: return nil
        case let number as Double: return number
        case let number as Int: return Double(number)
        default: throw PipelineSpecError.invalid(field, "must be a number, got '\(value!)'")
        }
    }

    private static func bool(_ value: Any?, _ field: String) throws -> Bool? {
        guard let value else { return nil }
        guard let flag = value as? Bool else { throw PipelineSpecError.invalid(field, "must be true or false, got '\(value)'") }
        return flag
    }
}
