/// Where a pipeline's estimator trains on the preprocessed rows: ``LocalEngine`` in this
/// process, or a coordinator's engine over workers. Engines must give the local model.
public protocol TrainingEngine {
    /// Boosts trees; the data has been checked by ``GBDTTrainer/validate(features:labels:validation:)``.
    func trainGBDT(_ trainer: GBDTTrainer, features: DenseMatrix, labels: [Float],
                   validation: (features: DenseMatrix, labels: [Float])?,
                   progress: ((TrainingProgress) -> Void)?) throws -> GBDTTrainer.Result

    /// Fits a linear model on sparse rows; `afterIteration` sees the model after each
    /// iteration and returns whether to stop there.
    func trainLinear(_ trainer: LinearTrainer, features: SparseMatrix, labels: [Float],
                     afterIteration: ((Int, LinearModel) -> Bool)?) throws -> LinearTrainer.Result
}

/// Trains in this process, on all of its cores (or the parameters' thread count).
public struct LocalEngine: TrainingEngine {
    /// Asked after every boosting round (linear models: iteration); `true` stops there (a tuning scheduler's decision).
    public var shouldStop: (@Sendable () -> Bool)?

    public init(shouldStop: (@Sendable () -> Bool)? = nil) {
        self.shouldStop = shouldStop
    }

    public func trainGBDT(_ trainer: GBDTTrainer, features: DenseMatrix, labels: [Float],
                          validation: (features: DenseMatrix, labels: [Float])?,
                          progress: ((TrainingProgress) -> Void)?) throws -> GBDTTrainer.Result {
        try trainer.train(features, labels: labels, validation: validation, progress: progress, shouldStop: shouldStop)
    }

    public func trainLinear(_ trainer: LinearTrainer, features: SparseMatrix, labels: [Float],
                            afterIteration: ((Int, LinearModel) -> Bool)?) throws -> LinearTrainer.Result {
        try trainer.train(features, labels: labels) { iteration, model in
            (afterIteration?(iteration, model) ?? false) || (shouldStop?() ?? false)
        }
    }
}
