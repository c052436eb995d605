import Foundation
import TrainyardML

/// A pipeline as the coordinator keeps it: where its data comes from, what starts it, the gates
/// a run passes, the job it trains (`submit train` or `submit tune`, options resolved by the
/// CLI from the YAML file), and where the model goes.
///
/// A run: quality gate → train (or tune) → evaluation gate → register → approval → promote.
public struct PipelineSpec: Sendable, Codable, Equatable {
    /// What starts a run besides `trainyard pipeline run`.
    public struct Triggers: Sendable, Codable, Equatable {
        /// A new version of the source dataset starts a run on that version.
        public var newVersion = true
        /// A run every this many seconds on the latest version, if set.
        public var everySeconds: Double?

        public init(newVersion: Bool = true, everySeconds: Double? = nil) {
            self.newVersion = newVersion
            self.everySeconds = everySeconds
        }
    }

    /// Checks of the dataset version before anything trains on it.
    public struct QualityGate: Sendable, Codable, Equatable {
        /// At least this many rows.
        public var minRows: Int?
        /// At most this fraction (0…1) of missing values in any column, unless a column has its own limit.
        public var maxMissing: Double?
        public var maxMissingByColumn: [String: Double] = [:]
        /// Columns that must be present.
        public var requiredColumns: [String] = []
        /// Every column of the previous version present with the same kind (new columns are fine).
        public var schemaCompatible = true
        /// A classification label's rarest class makes up at least this fraction of the rows.
        public var minClassFraction: Double?

        public init() {}
    }

    /// How the trained candidate is judged before it is registered.
    public struct EvaluationGate: Sendable, Codable, Equatable {
        /// The metric, computed on the holdout (`auc`, `logloss`, `accuracy`, `rmse`, …).
        public var metric: String
        /// The fraction of the dataset's rows held out of training (stratified, seeded by the job's seed).
        public var holdout: Double
        /// The candidate's metric must be at least (or, for a lower-is-better metric, at most) this.
        public var threshold: Double?
        /// The candidate may be worse than the model the alias serves now by at most this, on the same holdout.
        public var maxRegression: Double?

        public init(metric: String, holdout: Double = 0.2, threshold: Double? = nil, maxRegression: Double? = 0) {
            self.metric = metric
            self.holdout = holdout
            self.threshold = threshold
            self.maxRegression = maxRegression
        }
    }

    /// Who approves a registered candidate.
    public enum Approval: String, Sendable, Codable, CaseIterable {
        /// The pipeline approves it itself once the gates passed.
        case auto
        /// A person approves it (`trainyard models approve NAME VERSION`); the run waits.
        case manual
    }

    public var name: String
    /// The source dataset's name in the registry's dataset store.
    public var dataset: String
    public var triggers = Triggers()
    public var quality = QualityGate()
    /// The job every run submits: `spec.data.dataset` is set to the run's dataset version, and
    /// `spec.validFraction` to the evaluation holdout.
    public var job: JobSubmit
    public var evaluation: EvaluationGate
    /// The registry model the candidate is published under.
    public var model: String
    public var approval: Approval = .auto
    /// The alias the approved candidate is promoted to (replicas that follow it switch).
    public var alias = "production"
    /// The YAML the pipeline was applied from, as written.
    public var source: String?

    public init(name: String, dataset: String, job: JobSubmit, evaluation: EvaluationGate, model: String) {
        self.name = name
        self.dataset = dataset
        self.job = job
        self.evaluation = evaluation
        self.model = model
    }

    /// Throws naming the first field that cannot work; `isValidName` is the registry's name rule
    /// (`ModelName.isValid`) for the pipeline, dataset, model and alias names.
    public func validate(isValidName: (String) -> Bool) throws(PipelineSpecError) {
        let rule = "1–64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        guard isValidName(name), name != "show" else { throw .invalid("name", "'\(name.prefix(80))' must be \(rule), and not 'show'") }
        guard isValidName(dataset) else { throw .invalid("dataset", "'\(dataset.prefix(80))' must be \(rule)") }
        guard isValidName(model) else { throw .invalid("register.model", "'\(model.prefix(80))' must be \(rule)") }
        guard isValidName(alias) else { throw .invalid("promote.alias", "'\(alias.prefix(80))' must be \(rule)") }
        if let every = triggers.everySeconds, !(every >= 1 && every.isFinite) {
            throw .invalid("trigger.every", "must be at least 1s, got \(every)s")
        }
        if let rows = quality.minRows, rows < 1 { throw .invalid("quality.min_rows", "must be at least 1, got \(rows)") }
        for (field, value) in [("quality.max_missing", quality.maxMissing), ("quality.min_class_fraction", quality.minClassFraction)] {
            if let value, !(0...1).contains(value) { throw .invalid(field, "must be within 0…1, got \(value)") }
        }
        for (column, value) in quality.maxMissingByColumn where !(0...1).contains(value) {
            throw .invalid("quality.max_missing.\(column)", "must be within 0…1, got \(value)")
        }
        guard Metrics.allNames.contains(evaluation.metric) else {
            throw .invalid("evaluate.metric", "unknown metric '\(evaluation.metric)'; one of \(Metrics.allNames.sorted().joined(separator: ", "))")
        }
        guard evaluation.holdout > 0, evaluation.holdout < 1 else {
            throw .invalid("evaluate.holdout", "must be a fraction in (0, 1), got \(evaluation.holdout)")
        }
        if let delta = evaluation.maxRegression, !(delta >= 0 && delta.isFinite) {
            throw .invalid("evaluate.max_regression", "must be ≥ 0, got \(delta)")
        }
        guard job.spec.validationPath == nil else {
            throw .invalid("train.valid", "a pipeline holds out evaluate.holdout of its dataset; it takes no separate validation file")
        }
        guard job.workers >= 1 else { throw .invalid("train.workers", "must be at least 1, got \(job.workers)") }
    }
}

/// A pipeline file or spec that cannot be used: the field (as the YAML spells it) and why.
public enum PipelineSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        }
    }
}
