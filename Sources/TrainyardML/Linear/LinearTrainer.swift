/// Parameters of the linear models.
public struct LinearParameters: Sendable, Equatable, Codable {
    /// `binary:logistic` (logistic regression) or `reg:squarederror` (ridge).
    public var objective: Objective = .binaryLogistic
    /// L2 strength λ on the weights (not the bias): the objective is Σ loss + λ/2 ‖w‖².
    /// scikit-learn's `LogisticRegression(C=c)` is λ = 1/c. Default 1.
    public var lambda: Double = 1
    public var maxIterations = 500
    /// Gradient tolerance, relative to the objective's size: L-BFGS stops when the largest
    /// gradient entry is at most `tolerance × max(1, objective)`. The default, 1e-6, is still
    /// far stricter than scikit-learn's `tol=1e-4` on the mean loss (bench/text: 67 iterations
    /// against 13, the same test metrics as 1e-8's 109).
    public var tolerance = 1e-6
    public var threads = 0

    /// λ = 1, at most 500 iterations, gradient tolerance 1e-6, all cores.
    public init() {}

    public func validate() throws(ParameterError) {
        guard objective == .binaryLogistic || objective == .squaredError else {
            throw .invalid("objective", "linear models support binary:logistic and reg:squarederror, not \(objective.name)")
        }
        guard lambda >= 0, lambda.isFinite else { throw .invalid("lambda", "must be ≥ 0, got \(lambda)") }
        guard maxIterations >= 1 else { throw .invalid("max_iter", "must be at least 1, got \(maxIterations)") }
        guard tolerance > 0 else { throw .invalid("tol", "must be > 0, got \(tolerance)") }
    }
}

/// Fits a ``LinearModel`` by L-BFGS on full-batch gradients.
public struct LinearTrainer: Sendable {
    public let parameters: LinearParameters

    public struct Result: Sendable {
        public var model: LinearModel
        /// The minimised objective: Σ loss + λ/2 ‖w‖².
        public var objectiveValue: Double
        public var iterations: Int
        public var converged: Bool
    }

    /// A trainer for `parameters`; throws ``ParameterError`` naming the first invalid one.
    public init(parameters: LinearParameters) throws(ParameterError) {
        try parameters.validate()
        self.parameters = parameters
    }

    /// Trains on dense or sparse (CSR) features; `afterIteration` sees the model after each
    /// iteration and may stop the fit there (a tuning scheduler's decision).
    public func train(_ features: some LinearFeatures, labels: [Float],
                      afterIteration: ((Int, LinearModel) -> Bool)? = nil) throws(ParameterError) -> Result {
        guard features.rows > 0 else { throw .invalid("data", "the training set has no rows") }
        guard labels.count == features.rows else { throw .invalid("label", "\(labels.count) labels for \(features.rows) rows") }
        try parameters.objective.validate(labels: labels)
        if let row = features.firstRowWithMissingValue {
            throw .invalid("data", "linear models need complete rows; row \(row) has a missing value (impute first)")
        }
        let loss = LinearLoss(objective: parameters.objective)
        let threads = Parallel.resolve(threads: parameters.threads)
        return fit(columns: features.columns, afterIteration: afterIteration) { w in
            loss.statistics(features: features, labels: labels, parameters: w, threads: threads)
        }
    }

    /// L-BFGS on the data term's ``LinearLoss/Statistics`` from `statistics` — computed
    /// here, or summed over workers' shards — plus the L2 penalty. Errors of `statistics`
    /// (a lost worker) end the fit. `afterIteration` sees the model after each iteration and
    /// returns whether to stop there.
    public func fit<Failure: Error>(columns: Int, afterIteration: ((Int, LinearModel) -> Bool)? = nil,
                                    statistics: ([Double]) throws(Failure) -> LinearLoss.Statistics) throws(Failure) -> Result {
        let lambda = parameters.lambda
        var optimizer = LBFGS()
        optimizer.maxIterations = parameters.maxIterations
        optimizer.gradientTolerance = parameters.tolerance
        let objective = parameters.objective
        let afterStep = afterIteration.map { body in
            { (iteration: Int, x: [Double]) -> Bool in
                body(iteration, LinearModel(objective: objective, weights: Array(x.prefix(columns)), bias: x[columns]))
            }
        }
        let result = try optimizer.minimize(start: [Double](repeating: 0, count: columns + 1), afterStep: afterStep) { (w: [Double]) throws(Failure) in
            var stats = try statistics(w)
            for j in 0..<columns {
                stats.loss += 0.5 * lambda * w[j] * w[j]
                stats.gradient[j] += lambda * w[j]
            }
            return (stats.loss, stats.gradient)
        }
        let model = LinearModel(objective: parameters.objective, weights: Array(result.x.prefix(columns)), bias: result.x[columns])
        return Result(model: model, objectiveValue: result.value, iterations: result.iterations, converged: result.converged)
    }
}
