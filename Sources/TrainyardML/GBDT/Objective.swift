import Foundation

/// A learning objective with XGBoost's name, gradients and output transform.
public enum Objective: Sendable, Equatable, Hashable {
    /// `binary:logistic`: labels 0/1, predictions are probabilities.
    case binaryLogistic
    /// `reg:squarederror`: any real labels, predictions are the margin itself.
    case squaredError
    /// `multi:softprob`: labels 0..<numClass, one tree per class per round, softmax output.
    case softprob(numClass: Int)

    /// XGBoost's name for the objective.
    public var name: String {
        switch self {
        case .binaryLogistic: "binary:logistic"
        case .squaredError: "reg:squarederror"
        case .softprob: "multi:softprob"
        }
    }

    /// Parses XGBoost's name; `numClass` is required for `multi:softprob`.
    public init(name: String, numClass: Int? = nil) throws(ParameterError) {
        switch name {
        case "binary:logistic": self = .binaryLogistic
        case "reg:squarederror": self = .squaredError
        case "multi:softprob":
            guard let numClass, numClass >= 2 else {
                throw .invalid("num_class", "multi:softprob needs num_class ≥ 2")
            }
            self = .softprob(numClass: numClass)
        default:
            throw .invalid("objective", "'\(name)' is not one of binary:logistic, reg:squarederror, multi:softprob")
        }
    }

    /// Margins per row: 1, or the number of classes.
    public var outputGroups: Int {
        if case .softprob(let k) = self { return k }
        return 1
    }

    /// Turns `base_score` (in prediction space, as XGBoost stores it) into a margin.
    public func margin(fromBaseScore score: Double) -> Float {
        switch self {
        case .binaryLogistic:
            let p = min(max(score, 1e-16), 1 - 1e-16)
            return Float(log(p / (1 - p)))
        case .squaredError, .softprob: return Float(score)
        }
    }

    /// The default `base_score` when none is given: the label mean for the binary and
    /// regression objectives (an intercept estimate, as XGBoost ≥ 2 fits one), 0.5 for softprob.
    public func defaultBaseScore(labels: [Float]) -> Double {
        switch self {
        case .binaryLogistic:
            let mean = labels.reduce(0.0) { $0 + Double($1) } / Double(max(labels.count, 1))
            return min(max(mean, 1e-6), 1 - 1e-6)
        case .squaredError:
            return labels.reduce(0.0) { $0 + Double($1) } / Double(max(labels.count, 1))
        case .softprob: return 0.5
        }
    }

    /// Checks labels before training; the error names the first bad row.
    public func validate(labels: [Float]) throws(ParameterError) {
        for (row, y) in labels.enumerated() {
            switch self {
            case .binaryLogistic:
                guard y == 0 || y == 1 else { throw .invalid("label", "binary:logistic needs labels 0 or 1; row \(row) has \(y)") }
            case .squaredError:
                guard y.isFinite else { throw .invalid("label", "row \(row) has a non-finite label \(y)") }
            case .softprob(let k):
                guard y >= 0, y < Float(k), y == y.rounded() else {
                    throw .invalid("label", "multi:softprob needs integer labels 0..<\(k); row \(row) has \(y)")
                }
            }
        }
    }

    /// Bounds on |gradient| and hessian that hold for every row, when the objective has
    /// them (logistic and softmax losses do; squared error does not).
    public var gradientBounds: (gradient: Float, hessian: Float)? {
        switch self {
        case .binaryLogistic: (1, 0.25)
        case .softprob: (1, 0.5)
        case .squaredError: nil
        }
    }

    /// Gradient and hessian of the loss for one row and one output group, given all of
    /// the row's margins (`margins[group]`).
    @inline(__always)
    public func gradient(margins: UnsafeBufferPointer<Float>, label: Float, group: Int) -> (g: Float, h: Float) {
        switch self {
        case .binaryLogistic:
            let p = 1 / (1 + exp(-margins[0]))
            return (p - label, max(p * (1 - p), 1e-16))
        case .squaredError:
            return (margins[0] - label, 1)
        case .softprob:
            var maxMargin = -Float.infinity
            for m in margins { maxMargin = max(maxMargin, m) }
            var sum: Float = 0
            for m in margins { sum += exp(m - maxMargin) }
            let p = exp(margins[group] - maxMargin) / sum
            let y: Float = Int(label) == group ? 1 : 0
            return (p - y, max(2 * p * (1 - p), 1e-16))
        }
    }

    /// Turns one row's margins into predictions, in place.
    @inline(__always)
    public func transform(_ margins: UnsafeMutableBufferPointer<Float>) {
        switch self {
        case .binaryLogistic: margins[0] = 1 / (1 + exp(-margins[0]))
        case .squaredError: break
        case .softprob:
            var maxMargin = -Float.infinity
            for m in margins { maxMargin = max(maxMargin, m) }
            var sum: Float = 0
            for i in margins.indices {
                margins[i] = exp(margins[i] - maxMargin)
                sum += margins[i]
            }
            for i in margins.indices { margins[i] /= sum }
        }
    }
}
