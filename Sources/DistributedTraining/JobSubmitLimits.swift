import TrainyardML
import TrainyardProtocol

/// The bounds a coordinator puts on a `JOB_SUBMIT` (docs/PROTOCOL.md, "Limits"), checked
/// before anything is read or queued. The ML core's own `validate()` checks the meaning of
/// each parameter (e.g. `eta` in (0, 1]); these bound the size of the work and of the
/// strings the coordinator stores and prints.
public enum JobSubmitLimits {
    /// `workers`: 1...1024 (and no more than are alive).
    public static let workers = 1...1024
    /// `spec.gbdt.trees`: 1...100 000 boosting rounds.
    public static let trees = 1...100_000
    /// Trees per job, `spec.gbdt.trees` × classes for `multi:softprob`: at most 100 000.
    public static let totalTrees = 100_000
    /// `spec.gbdt.objective.numClass`: 2...1000.
    public static let classes = 2...1000
    /// `spec.gbdt.maxDepth`: 1...16.
    public static let maxDepth = 1...16
    /// `spec.gbdt.maxBin`: 2...256.
    public static let maxBin = 2...256
    /// `spec.gbdt.earlyStoppingRounds`: 1...100 000.
    public static let earlyStoppingRounds = 1...100_000
    /// `spec.gbdt.threads` and `spec.linear.threads`: 0...1024 (0 = every core).
    public static let threads = 0...1024
    /// `spec.linear.maxIterations`: 1...100 000.
    public static let maxIterations = 1...100_000
    /// `spec.maxOneHot`: 0...1024 categories one-hot encoded per column.
    public static let maxOneHot = 0...1024
    /// `spec.textBuckets`: 0...1 048 576 hashed TF-IDF buckets per text column.
    public static let textBuckets = 0...1 << 20
    /// `spec.data.path`, `spec.validationPath`: 1...4096 bytes.
    public static let pathBytes = 4096
    /// `spec.label` and each column name in `spec.data.categorical|text|numeric`: 1...1024 bytes.
    public static let columnNameBytes = 1024
    /// Entries in each of `spec.data.categorical|text|numeric`: at most 10 000.
    public static let columnListCount = 10_000
    /// `spec.objective`, `spec.data.format`, `spec.gbdt.evalMetric`: at most 64 bytes.
    public static let nameBytes = 64
    /// `spec.data.dataset`: `name@version`, at most 96 bytes (the registry's name rule then applies).
    public static let datasetBytes = 96
    /// `modelName`: at most 64 bytes (the registry's own rule then applies).
    public static let modelNameBytes = 64
    /// `study.space`: at most 64 KiB of YAML.
    public static let studySpaceBytes = 64 << 10
    /// `study.trials`: 1...10 000; `study.parallel` and `study.workersPerTrial`: 1...1024;
    /// `study.gridPoints`: 1...100; `study.grace`: 1...100 000.
    public static let studyTrials = 1...10_000
    public static let studyParallel = 1...1024
    public static let studyGridPoints = 1...100
    public static let studyGrace = 1...100_000
}

extension JobSubmit {
    /// Checks every field against ``JobSubmitLimits``; throws the first violation, named by
    /// its wire path (e.g. `spec.gbdt.trees`).
    public func checkLimits() throws(LimitViolation) {
        typealias L = JobSubmitLimits
        try LimitViolation.check("workers", workers, in: L.workers)
        if let modelName { try LimitViolation.check("modelName", modelName, maxBytes: L.modelNameBytes, nonEmpty: true) }
        let data = spec.data
        try LimitViolation.check("spec.data.path", data.path, maxBytes: L.pathBytes, nonEmpty: data.dataset == nil)
        if let dataset = data.dataset { try LimitViolation.check("spec.data.dataset", dataset, maxBytes: L.datasetBytes, nonEmpty: true) }
        if let path = spec.validationPath {
            try LimitViolation.check("spec.validationPath", path, maxBytes: L.pathBytes, nonEmpty: true)
        }
        if let format = data.format { try LimitViolation.check("spec.data.format", format, maxBytes: L.nameBytes) }
        try LimitViolation.check("spec.data.categorical", data.categorical, maxCount: L.columnListCount, maxBytes: L.columnNameBytes)
        try LimitViolation.check("spec.data.text", data.text, maxCount: L.columnListCount, maxBytes: L.columnNameBytes)
        try LimitViolation.check("spec.data.numeric", data.numeric, maxCount: L.columnListCount, maxBytes: L.columnNameBytes)
        try LimitViolation.check("spec.label", spec.label, maxBytes: L.columnNameBytes, nonEmpty: predict == nil)
        if let predict {
            try LimitViolation.check("predict.model", predict.model, maxBytes: L.datasetBytes, nonEmpty: true)
            try LimitViolation.check("predict.keep", predict.keep, maxCount: L.columnListCount, maxBytes: L.columnNameBytes)
        }
        if let objective = spec.objective { try LimitViolation.check("spec.objective", objective, maxBytes: L.nameBytes) }
        if let metric = spec.gbdt.evalMetric { try LimitViolation.check("spec.gbdt.evalMetric", metric, maxBytes: L.nameBytes) }
        try LimitViolation.check("spec.maxOneHot", spec.maxOneHot, in: L.maxOneHot)
        if let buckets = spec.textBuckets { try LimitViolation.check("spec.textBuckets", buckets, in: L.textBuckets) }
        if let drop = spec.drop { try LimitViolation.check("spec.drop", drop, maxCount: L.columnListCount, maxBytes: L.columnNameBytes) }
        let gbdt = spec.gbdt
        try LimitViolation.check("spec.gbdt.trees", gbdt.trees, in: L.trees)
        if case .softprob(let classes) = gbdt.objective {
            try LimitViolation.check("spec.gbdt.objective.numClass", classes, in: L.classes)
            let (total, overflow) = gbdt.trees.multipliedReportingOverflow(by: classes)
            if overflow || total > L.totalTrees {
                throw LimitViolation(field: "spec.gbdt.trees", limit: "trees × classes ≤ \(L.totalTrees)",
                                     actual: "\(gbdt.trees) × \(classes)")
            }
        }
        try LimitViolation.check("spec.gbdt.maxDepth", gbdt.maxDepth, in: L.maxDepth)
        try LimitViolation.check("spec.gbdt.maxBin", gbdt.maxBin, in: L.maxBin)
        try LimitViolation.check("spec.gbdt.threads", gbdt.threads, in: L.threads)
        if let rounds = gbdt.earlyStoppingRounds {
            try LimitViolation.check("spec.gbdt.earlyStoppingRounds", rounds, in: L.earlyStoppingRounds)
        }
        try LimitViolation.check("spec.linear.maxIterations", spec.linear.maxIterations, in: L.maxIterations)
        try LimitViolation.check("spec.linear.threads", spec.linear.threads, in: L.threads)
        if let study {
            try LimitViolation.check("study.space", study.space, maxBytes: L.studySpaceBytes, nonEmpty: true)
            try LimitViolation.check("study.metric", study.metric, maxBytes: L.nameBytes, nonEmpty: true)
            try LimitViolation.check("study.trials", study.trials, in: L.studyTrials)
            try LimitViolation.check("study.parallel", study.parallel, in: L.studyParallel)
            try LimitViolation.check("study.workersPerTrial", study.workersPerTrial, in: L.workers)
            try LimitViolation.check("study.gridPoints", study.gridPoints, in: L.studyGridPoints)
            try LimitViolation.check("study.grace", study.grace, in: L.studyGrace)
        }
    }
}
