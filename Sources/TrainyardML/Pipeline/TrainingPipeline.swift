import Foundation

/// From raw tables to a ``TrainyardModel``: label encoding, objective, validation split,
/// preprocessing fit, training, final metrics and the training record.
public enum TrainingPipeline {
    /// The outcome, for the CLI to report.
    public struct Outcome: Sendable {
        public var model: TrainyardModel
        public var history: [TrainingProgress]
        public var metrics: [String: Double]
    }

    /// Trains as `request` says; throws ``DatasetError``, ``LabelError``, ``ParameterError`` or
    /// ``PreprocessingError`` naming the problem. `progress` is called after every boosting round,
    /// and with `linearIterations` (a tuning scheduler judging a linear model by its iterations)
    /// after every L-BFGS iteration with the validation metric (the GBDT `evalMetric`, else the
    /// objective's default). `engine` trains the estimator on the preprocessed rows: in this
    /// process by default, or on a cluster's workers.
    public static func run(train: Table, validation: Table? = nil, request: TrainingRequest,
                           engine: any TrainingEngine = LocalEngine(),
                           linearIterations: Bool = false,
                           progress: ((TrainingProgress) -> Void)? = nil) throws -> Outcome {
        guard let (features, labelColumn) = train.removing(request.label) else {
            throw DatasetError.unknownColumn(file: "training data", name: request.label, available: train.names)
        }
        let labelEncoding = try LabelEncoding.fit(name: request.label, column: labelColumn)
        let allLabels = try labelEncoding.encode(labelColumn)
        let objective = try objective(for: request, labels: allLabels, encoding: labelEncoding)

        var trainTable = features, trainLabels = allLabels
        var validTable: Table?, validLabels: [Float]?
        if let validation {
            guard let (table, column) = validation.removing(request.label) else {
                throw DatasetError.unknownColumn(file: "validation data", name: request.label, available: validation.names)
            }
            validTable = table
            validLabels = try labelEncoding.encode(column)
        } else if let fraction = request.validFraction {
            guard fraction > 0, fraction < 1 else { throw ParameterError.invalid("valid-fraction", "must be in (0, 1), got \(fraction)") }
            let (trainRows, validRows) = stratifiedSplit(labels: allLabels, fraction: fraction, seed: request.splitSeed,
                                                         stratify: objective != .squaredError)
            trainTable = features.rows(trainRows)
            trainLabels = trainRows.map { allLabels[$0] }
            validTable = features.rows(validRows)
            validLabels = validRows.map { allLabels[$0] }
        }

        for name in request.preprocessing.drop.sorted() where features.index(of: name) == nil {
            let reason = name == request.label ? "it is the label" : "the training data has no such column (columns: \(features.names.prefix(12).joined(separator: ", "))\(features.names.count > 12 ? ", …" : ""))"
            throw ParameterError.invalid("drop", "cannot drop '\(name)': \(reason)")
        }
        var preprocessing = request.preprocessing
        preprocessing.threads = request.kind == .gbdt ? request.gbdt.threads : request.linear.threads
        let preprocessor = Preprocessor.fit(trainTable, target: request.kind == .gbdt ? .trees : .linear, options: preprocessing)
        var history: [TrainingProgress] = []
        let estimator: TrainyardModel.Estimator
        var parameters: [String: String]
        var bestRound: Int?
        var importance: [String: Double]?
        // Predictions on the training and validation rows, for the final metrics.
        let trainPredictions: [Float]
        var validPredictions: [Float]?
        switch request.kind {
        case .gbdt:
            let x = try preprocessor.transform(trainTable)
            let validation = zip2(try validTable.map { try preprocessor.transform($0) }, validLabels)
            var p = request.gbdt
            p.objective = objective
            let trainer = try GBDTTrainer(parameters: p)
            try trainer.validate(features: x, labels: trainLabels, validation: validation)
            let result = try engine.trainGBDT(trainer, features: x, labels: trainLabels, validation: validation, progress: progress)
            history = result.history
            bestRound = result.bestRound
            estimator = .gbdt(result.model)
            parameters = describe(p)
            let names = preprocessor.featureNames
            importance = Dictionary(uniqueKeysWithValues: result.model.featureImportance().map { (names[$0.key], $0.value.gain) })
            trainPredictions = result.model.predict(x, threads: p.threads)
            validPredictions = validation.map { result.model.predict($0.features, threads: p.threads) }
        case .linear:
            // Linear models work on sparse rows: text and wide one-hot columns cost only their non-zeros.
            let x = try preprocessor.transformSparse(trainTable, threads: request.linear.threads)
            var p = request.linear
            p.objective = objective
            // Trained on the columns the training rows use (hashed text leaves most buckets empty), on every engine alike.
            let (used, columns) = x.withoutEmptyColumns()
            var afterIteration: ((Int, LinearModel) -> Bool)?
            if linearIterations, let progress, let validTable, let validLabels {
                let validX = try preprocessor.transformSparse(validTable, threads: p.threads).keeping(columns: columns)
                let metric = request.gbdt.evalMetric ?? Metrics.defaultName(for: objective)
                let start = ContinuousClock.now, total = p.maxIterations
                afterIteration = { iteration, model in
                    let value = Metrics.value(metric, for: objective, labels: validLabels, predictions: model.predict(validX))
                    progress(TrainingProgress(round: iteration, totalRounds: total, metric: metric, train: nil, valid: value,
                                              elapsedSeconds: (ContinuousClock.now - start) / .seconds(1)))
                    return false
                }
            }
            var result = try engine.trainLinear(try LinearTrainer(parameters: p), features: used, labels: trainLabels,
                                                afterIteration: afterIteration)
            result.model = result.model.scattered(to: columns, width: x.columns)
            estimator = .linear(result.model)
            parameters = ["objective": objective.name, "lambda": "\(p.lambda)", "iterations": "\(result.iterations)",
                          "converged": "\(result.converged)"]
            trainPredictions = result.model.predict(x)
            validPredictions = try validTable.map { result.model.predict(try preprocessor.transformSparse($0, threads: p.threads)) }
        }
        parameters["model"] = request.kind.rawValue

        var metrics: [String: Double] = [:]
        for (name, value) in Metrics.all(for: objective, labels: trainLabels, predictions: trainPredictions) { metrics["train.\(name)"] = value }
        if let validPredictions, let validLabels {
            for (name, value) in Metrics.all(for: objective, labels: validLabels, predictions: validPredictions) {
                metrics["valid.\(name)"] = value
            }
        }
        let record = TrainyardModel.TrainingRecord(
            createdAt: ISO8601DateFormatter().string(from: Date()), software: request.software, parameters: parameters,
            metrics: metrics, trainRows: trainTable.rows, validationRows: validTable?.rows ?? 0,
            datasetSHA256: request.datasetSHA256, bestRound: bestRound, featureImportance: importance)
        var model = TrainyardModel(label: labelEncoding, preprocessor: preprocessor, estimator: estimator, training: record)
        model.baseline = DriftBaseline.compute(trainTable, inputs: preprocessor.inputs.filter { $0.transform.width > 0 },
                                               predictions: trainPredictions, outputs: objective.outputGroups)
        return Outcome(model: model, history: history, metrics: metrics)
    }

    /// The objective `spec` trains on `train`: the one it names, or the one inferred from the label as ``run`` does.
    public static func objective(_ spec: TrainingSpec, train: Table) throws -> Objective {
        guard let (_, labelColumn) = train.removing(spec.label) else {
            throw DatasetError.unknownColumn(file: "training data", name: spec.label, available: train.names)
        }
        let encoding = try LabelEncoding.fit(name: spec.label, column: labelColumn)
        return try objective(for: spec.request(datasetSHA256: nil, software: ""), labels: try encoding.encode(labelColumn), encoding: encoding)
    }

    static func objective(for request: TrainingRequest, labels: [Float], encoding: LabelEncoding) throws -> Objective {
        let classes = encoding.classes?.count ?? (Set(labels).isSubset(of: [0, 1]) ? 2 : 0)
        if let name = request.objective {
            // Numeric class labels 0…k−1 give k classes; a categorical label its level count.
            let numClass = encoding.classes?.count ?? Int(labels.max() ?? 0) + 1
            return try Objective(name: name, numClass: name == "multi:softprob" ? numClass : nil)
        }
        if classes == 2 { return .binaryLogistic }
        if classes > 2 { return .softprob(numClass: classes) }
        return .squaredError
    }

    /// Seeded split; with `stratify`, each class contributes the same fraction.
    public static func stratifiedSplit(labels: [Float], fraction: Double, seed: UInt64, stratify: Bool) -> (train: [Int], valid: [Int]) {
        var random = SplitMix64(seed: seed)
        let groups: [[Int]] = stratify ? Dictionary(grouping: labels.indices, by: { labels[$0] }).sorted { $0.key < $1.key }.map(\.value)
                                       : [Array(labels.indices)]
        var train: [Int] = [], valid: [Int] = []
        for group in groups {
            let shuffled = group.shuffled(using: &random)
            let take = Int((Double(group.count) * fraction).rounded())
            valid += shuffled.prefix(take)
            train += shuffled.dropFirst(take)
        }
        return (train.sorted(), valid.sorted())
    }

    static func describe(_ p: GBDTParameters) -> [String: String] {
        var result = ["objective": p.objective.name, "n_trees": "\(p.trees)", "max_depth": "\(p.maxDepth)", "eta": "\(p.eta)",
                      "lambda": "\(p.lambda)", "alpha": "\(p.alpha)", "gamma": "\(p.gamma)", "min_child_weight": "\(p.minChildWeight)",
                      "subsample": "\(p.subsample)", "colsample_bytree": "\(p.colsampleByTree)", "max_bin": "\(p.maxBin)",
                      "seed": "\(p.seed)"]
        if let base = p.baseScore { result["base_score"] = "\(base)" }
        if let rounds = p.earlyStoppingRounds { result["early_stopping_rounds"] = "\(rounds)" }
        if case .softprob(let k) = p.objective { result["num_class"] = "\(k)" }
        return result
    }

    private static func zip2(_ x: DenseMatrix?, _ y: [Float]?) -> (features: DenseMatrix, labels: [Float])? {
        guard let x, let y else { return nil }
        return (x, y)
    }
}
