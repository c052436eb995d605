import Foundation

/// A numerical parameter as a ``ParzenEstimator`` sees it: its bounds, its integer grid, and
/// the internal scale its kernels live on (the logarithm for `logUniform` and `int` with `log`;
/// for integers, the range widened by half a step on each side, as Optuna does, so that the end
/// values get a whole step's worth of mass).
struct NumericalScale: Sendable, Equatable {
    /// The parameter's bounds (for integers, the first and last value of the grid).
    let low: Double
    let high: Double
    /// Integers: `low`, `low + step`, … `low + (count − 1) step`.
    struct Grid: Sendable, Equatable {
        let low: Int
        let step: Int
        let count: Int
    }

    let grid: Grid?
    let logarithmic: Bool

    /// `nil` for a `choice`. A log scale needs a positive lower bound (a space that breaks this
    /// is treated as linear rather than producing NaNs).
    init?(_ distribution: Distribution) {
        switch distribution {
        case .uniform(let low, let high):
            (self.low, self.high, grid, logarithmic) = (low, max(low, high), nil, false)
        case .logUniform(let low, let high):
            (self.low, self.high, grid, logarithmic) = (low, max(low, high), nil, low > 0)
        case .int(let low, let high, let step, let log):
            let step = max(1, step)
            let count = max(0, (high - low) / step) + 1
            grid = Grid(low: low, step: step, count: count)
            self.low = Double(low)
            self.high = Double(low + (count - 1) * step)
            logarithmic = log && low >= 1
        case .choice:
            return nil
        }
    }

    /// The value of a parameter whose range holds only one, or `nil`.
    var onlyValue: ParameterValue? {
        if let grid { return grid.count == 1 ? .int(grid.low) : nil }
        return high > low ? nil : .double(low)
    }

    private var halfStep: Double { grid.map { Double($0.step) / 2 } ?? 0 }
    /// The bounds of the kernels' support, on the internal scale.
    var internalLow: Double { internalValue(low - halfStep) }
    var internalHigh: Double { internalValue(high + halfStep) }

    func internalValue(_ x: Double) -> Double { logarithmic ? Foundation.log(x) : x }

    /// An earlier trial's value on the internal scale (clipped to the bounds), or `nil` when it
    /// is not a finite number.
    func observation(_ value: ParameterValue) -> Double? {
        guard let x = value.number, x.isFinite else { return nil }
        return internalValue(min(high, max(low, x)))
    }

    /// The parameter value at internal point `x`: back from the log scale, and for integers
    /// rounded to the nearest grid value inside the bounds.
    func value(internal x: Double) -> ParameterValue {
        let external = logarithmic ? Foundation.exp(x) : x
        guard let grid else { return .double(min(high, max(low, external))) }
        let steps = ((external - low) / Double(grid.step)).rounded()
        let index = steps.isFinite ? Int(min(Double(grid.count - 1), max(0, steps))) : 0
        return .int(grid.low + index * grid.step)
    }

    /// For integers, the internal interval a value stands for, `[x − step/2, x + step/2]`: its
    /// density is a kernel's mass there. `nil` for reals.
    func internalInterval(around x: Double) -> (Double, Double)? {
        grid == nil ? nil : (internalValue(x - halfStep), internalValue(x + halfStep))
    }
}
