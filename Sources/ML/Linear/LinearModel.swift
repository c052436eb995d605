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

    /// `w·x + b` for every row.
    public func predictMargins(_ matrix: DenseMatrix) -> [Double] {
        precondition(matrix.columns == weights.count, "model expects \(weights.count) features, matrix has \(matrix.columns)")
        var margins = [Double](repeating: bias, count: matrix.rows)
        matrix.values.withUnsafeBufferPointer { x in
            for row in 0..<matrix.rows {
                var sum = bias
                for j in 0..<weights.count { sum += weights[j] * Double(x[row * matrix.columns + j]) }
                margins[row] = sum
            }
        }
        return margins
    }

    /// `w·x + b` for every row of a CSR matrix.
    public func predictMargins(_ matrix: SparseMatrix) -> [Double] {
        precondition(matrix.columns == weights.count, "model expects \(weights.count) features, matrix has \(matrix.columns)")
        return (0..<matrix.rows).map { row in
            var sum = bias
            for k in matrix.rowStarts[row]..<matrix.rowStarts[row + 1] { sum += weights[Int(matrix.indices[k])] * Double(matrix.values[k]) }
            return sum
        }
    }

    /// Probabilities for logistic regression, values for ridge regression.
    public func predict(_ matrix: DenseMatrix) -> [Float] {
        predictMargins(matrix).map(output)
    }

    /// Probabilities or values for the rows of a CSR matrix.
    public func predict(_ matrix: SparseMatrix) -> [Float] {
        predictMargins(matrix).map(output)
    }

    private func output(_ margin: Double) -> Float {
        objective == .binaryLogistic ? Float(1 / (1 + exp(-margin))) : Float(margin)
    }
}
