import Foundation

/// A linear model `margin = w·x + b`: logistic regression (`binary:logistic`) or ridge
/// regression (`reg:squarederror`).
public struct LinearModel: Sendable, Equatable, Codable {
    public var objective: Objective
    public var weights: [Double]
    public var bias: Double

    /// A model from its parts; `weights` has one entry per feature.
    public init(objective: Objective, weights: [Double], bias: Double) {
        self.objective = objective
        self.weights = weights
        self.bias = bias
    }

    /// This model's weights placed at `columns` of a model over `width` features, the others 0
    /// (the inverse of ``SparseMatrix/withoutEmptyColumns()``).
    public func scattered(to columns: [Int], width: Int) -> LinearModel {
        precondition(columns.count == weights.count, "\(columns.count) columns for \(weights.count) weights")
        var full = [Double](repeating: 0, count: width)
        for (weight, column) in zip(weights, columns) { full[column] = weight }
        return LinearModel(objective: objective, weights: full, bias: bias)
    }

    /// `w·x + b` for every row of a dense or sparse matrix.
    public func predictMargins(_ matrix: some LinearFeatures) -> [Double] {
        precondition(matrix.columns == weights.count, "model expects \(weights.count) features, matrix has \(matrix.columns)")
        return weights.withUnsafeBufferPointer { w in (0..<matrix.rows).map { bias + matrix.dot(row: $0, w) } }
    }

    /// Probabilities for logistic regression, values for ridge regression.
    public func predict(_ matrix: some LinearFeatures) -> [Float] {
        predictMargins(matrix).map(output)
    }

    private func output(_ margin: Double) -> Float {
        objective == .binaryLogistic ? Float(1 / (1 + exp(-margin))) : Float(margin)
    }
}
