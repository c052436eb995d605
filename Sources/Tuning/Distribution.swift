import Foundation

/// Where a tuned parameter's values come from.
public enum Distribution: Sendable, Equatable {
    /// A real number in `[low, high]`, uniformly.
    case uniform(low: Double, high: Double)
    /// A real number in `[low, high]` (`0 < low`), uniform in its logarithm.
    case logUniform(low: Double, high: Double)
    /// An integer in `low, low + step, …, ≤ high`; with `log`, uniform in its logarithm (step 1 only).
    case int(low: Int, high: Int, step: Int, log: Bool)
    /// One of the listed values.
    case choice([ParameterValue])

    /// The values a grid search visits: every choice, every integer step, or `points` evenly
    /// spaced reals (in the logarithm for `logUniform`), ends included.
    public func grid(points: Int) -> [ParameterValue] {
        switch self {
        case .choice(let values):
            return values
        case .int(let low, let high, let step, _):
            return stride(from: low, through: high, by: step).map { .int($0) }
        case .uniform(let low, let high):
            guard points > 1, high > low else { return [.double(low)] }
            return (0..<points).map { .double(low + (high - low) * Double($0) / Double(points - 1)) }
        case .logUniform(let low, let high):
            guard points > 1, high > low else { return [.double(low)] }
            let (a, b) = (Foundation.log(low), Foundation.log(high))
            // The ends exactly as given (exp(log(x)) can differ from x in the last bit).
            return (0..<points).map { $0 == 0 ? .double(low) : $0 == points - 1 ? .double(high)
                                                : .double(Foundation.exp(a + (b - a) * Double($0) / Double(points - 1))) }
        }
    }

    /// A value drawn from the distribution.
    public func sample(_ random: inout some RandomNumberGenerator) -> ParameterValue {
        switch self {
        case .uniform(let low, let high):
            return .double(high > low ? Double.random(in: low...high, using: &random) : low)
        case .logUniform(let low, let high):
            return .double(high > low ? Foundation.exp(Double.random(in: Foundation.log(low)...(Foundation.log(high)), using: &random)) : low)
        case .int(let low, let high, let step, let logScale):
            if logScale && high > low {
                let value = Foundation.exp(Double.random(in: Foundation.log(Double(low))...(Foundation.log(Double(high) + 1)), using: &random))
                return .int(min(high, max(low, Int(value.rounded(.down)))))
            }
            let count = (high - low) / step + 1
            return .int(low + step * Int.random(in: 0..<count, using: &random))
        case .choice(let values):
            return values[Int.random(in: 0..<values.count, using: &random)]
        }
    }
}
