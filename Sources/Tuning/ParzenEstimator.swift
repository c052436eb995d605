import Foundation

/// One parameter's density over its values, fitted to the values some trials used: TPE's l(x)
/// (the good trials) or g(x) (the others). A one-dimensional version of Optuna's
/// `_ParzenEstimator` with its defaults (`prior_weight` 1, `consider_magic_clip` on,
/// `consider_endpoints` off, `default_weights`).
///
/// Numbers: a mixture of truncated normals, one per observation plus a wide prior kernel, on
/// the parameter's internal scale (the logarithm for log scales; integer ranges widened by half
/// a step on each side). Choices: each observation puts weight 1 on its choice plus
/// `prior_weight / (n + 1)` on every choice, and a uniform prior kernel joins the mixture.
struct ParzenEstimator: Sendable {
    static let priorWeight = 1.0

    enum Model: Sendable, Equatable {
        /// Kernels on the internal scale, the prior last, with their normalised weights.
        case numerical(NumericalScale, kernels: [TruncatedNormal], weights: [Double])
        /// The mixture's probability of each choice.
        case categorical(choices: [ParameterValue], probabilities: [Double])
        /// A parameter with only one value.
        case constant(ParameterValue)
    }

    let model: Model

    /// The estimator of `distribution` from `observations`, oldest first (the weights favour
    /// the newest); values the distribution cannot hold (a name for a number, an unknown
    /// choice) are left out, numbers outside the bounds are clipped to them. `nil` for an
    /// empty choice list.
    init?(distribution: Distribution, observations: [ParameterValue]) {
        if case .choice(let choices) = distribution {
            guard let first = choices.first else { return nil }
            guard choices.count > 1 else { model = .constant(first); return }
            let indices = observations.compactMap { Self.index(of: $0, in: choices) }
            model = .categorical(choices: choices, probabilities: Self.choiceProbabilities(indices, count: choices.count))
            return
        }
        guard let scale = NumericalScale(distribution) else { return nil }
        if let only = scale.onlyValue {
            model = .constant(only)
            return
        }
        let mus = observations.compactMap(scale.observation)
        model = .numerical(scale, kernels: Self.kernels(mus, low: scale.internalLow, high: scale.internalHigh),
                           weights: Self.mixtureWeights(mus.count))
    }

    /// A value drawn from the density (on the parameter's grid for integers).
    func sample(_ random: inout some RandomNumberGenerator) -> ParameterValue {
        switch model {
        case .constant(let value):
            return value
        case .categorical(let choices, let probabilities):
            return choices[Self.pick(probabilities, &random)]
        case .numerical(let scale, let kernels, let weights):
            return scale.value(internal: kernels[Self.pick(weights, &random)].sample(&random))
        }
    }

    /// log of the density (a probability for choices and integers) at `value`.
    func logDensity(_ value: ParameterValue) -> Double {
        switch model {
        case .constant(let only):
            return value == only ? 0 : -.infinity
        case .categorical(let choices, let probabilities):
            return Self.index(of: value, in: choices).map { Foundation.log(probabilities[$0]) } ?? -.infinity
        case .numerical(let scale, let kernels, let weights):
            guard let x = value.number, x.isFinite else { return -.infinity }
            let terms: [Double]
            if let (from, to) = scale.internalInterval(around: x) {
                terms = zip(kernels, weights).map { Foundation.log($1) + $0.logProbability(from: from, to: to) }
            } else {
                let point = scale.internalValue(x)
                terms = zip(kernels, weights).map { Foundation.log($1) + $0.logDensity(point) }
            }
            return terms.reduce(-Double.infinity, TruncatedNormal.logSum)
        }
    }

    // MARK: Optuna's defaults

    /// How many of `n` finished trials count as good: min(⌈0.1 n⌉, 25) (Optuna's `default_gamma`).
    static func gamma(_ n: Int) -> Int { min((n + 9) / 10, 25) }

    /// The weights of `n` observations, oldest first (Optuna's `default_weights`): 1 each up
    /// to 25; beyond, the newest 25 weigh 1 and the older ones ramp linearly from 1/n up to 1.
    static func weights(_ n: Int) -> [Double] {
        guard n >= 25 else { return Array(repeating: 1, count: n) }
        let rampCount = n - 25
        let start = 1 / Double(n)
        let ramp = (0..<rampCount).map { i in
            rampCount == 1 ? start : start + (1 - start) * Double(i) / Double(rampCount - 1)
        }
        return ramp + Array(repeating: 1, count: 25)
    }

    /// The weights of `n` observation kernels and the prior kernel (last), summing to 1.
    static func mixtureWeights(_ n: Int) -> [Double] {
        let raw = weights(n) + [priorWeight]
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    /// One truncated normal per observation on `[low, high]`, plus the prior N((low+high)/2,
    /// (high−low)²). Each kernel's sigma is the larger gap to its sorted neighbours (the
    /// bounds count as neighbours, except that the smallest and largest observations only look
    /// inwards: `consider_endpoints` off), clipped to [(high−low)/min(100, n+2), high−low]
    /// (`consider_magic_clip`).
    static func kernels(_ mus: [Double], low: Double, high: Double) -> [TruncatedNormal] {
        let width = high - low
        let prior = TruncatedNormal(mu: (low + high) / 2, sigma: width, low: low, high: high)
        guard !mus.isEmpty else { return [prior] }
        let order = mus.indices.sorted { mus[$0] < mus[$1] }
        let points = [low] + order.map { mus[$0] } + [high]
        var sorted: [Double] = (1..<points.count - 1).map { i in
            let left: Double = points[i] - points[i - 1]
            let right: Double = points[i + 1] - points[i]
            return max(left, right)
        }
        if mus.count >= 2 {
            sorted[0] = points[2] - points[1]
            sorted[sorted.count - 1] = points[points.count - 2] - points[points.count - 3]
        }
        let minimum = width / min(100, Double(mus.count + 2))
        var sigmas = Array(repeating: 0.0, count: mus.count)
        for (rank, index) in order.enumerated() { sigmas[index] = min(width, max(minimum, sorted[rank])) }
        return zip(mus, sigmas).map { TruncatedNormal(mu: $0, sigma: $1, low: low, high: high) } + [prior]
    }

    /// Each choice's probability under the mixture of one kernel per observed choice index
    /// (weight 1 on it plus `priorWeight / (n+1)` on every choice, normalised) and a uniform
    /// prior kernel, weighted by ``mixtureWeights(_:)``.
    static func choiceProbabilities(_ indices: [Int], count: Int) -> [Double] {
        guard !indices.isEmpty else { return Array(repeating: 1 / Double(count), count: count) }
        let weights = mixtureWeights(indices.count)
        let spread = priorWeight / Double(indices.count + 1)
        let rowTotal = 1 + Double(count) * spread
        var probabilities = Array(repeating: (weights[indices.count]) / Double(count), count: count)
        for (kernel, index) in indices.enumerated() {
            for choice in 0..<count { probabilities[choice] += weights[kernel] * spread / rowTotal }
            probabilities[index] += weights[kernel] / rowTotal
        }
        return probabilities
    }

    // MARK: Helpers

    /// A choice's index; a number also matches a choice of equal value stored as the other
    /// numeric case (`3` and `3.0`).
    private static func index(of value: ParameterValue, in choices: [ParameterValue]) -> Int? {
        choices.firstIndex(of: value) ?? value.number.flatMap { number in choices.firstIndex { $0.number == number } }
    }

    /// An index drawn with the given probabilities (summing to 1).
    private static func pick(_ probabilities: [Double], _ random: inout some RandomNumberGenerator) -> Int {
        let u = Double.random(in: 0..<1, using: &random)
        var total = 0.0
        for (index, probability) in probabilities.enumerated() {
            total += probability
            if u < total { return index }
        }
        return probabilities.count - 1
    }
}
