import Foundation

/// A normal distribution N(mu, sigma²) restricted to `[low, high]` and renormalised there: one
/// kernel of a ``ParzenEstimator``.
///
/// The arithmetic stays in log space so that a kernel far from a point (a narrow kernel, a value
/// in its tail) gives a finite log-density instead of `log(0)`: TPE compares log l(x) − log g(x).
struct TruncatedNormal: Sendable, Equatable {
    let mu: Double
    let sigma: Double
    let low: Double
    let high: Double
    /// log P(low ≤ Y ≤ high) for the untruncated Y ~ N(mu, sigma²).
    private let logMass: Double

    /// `sigma > 0` and `low < high`.
    init(mu: Double, sigma: Double, low: Double, high: Double) {
        self.mu = mu
        self.sigma = sigma
        self.low = low
        self.high = high
        logMass = Self.logStandardMass((low - mu) / sigma, (high - mu) / sigma)
    }

    /// log of the density at `x`; −∞ outside `[low, high]`.
    func logDensity(_ x: Double) -> Double {
        guard x >= low, x <= high else { return -.infinity }
        let z = (x - mu) / sigma
        return -0.5 * z * z - Self.logSqrt2Pi - Foundation.log(sigma) - logMass
    }

    /// log P(a ≤ X ≤ b), the interval clipped to `[low, high]`; −∞ when nothing is left of it.
    func logProbability(from a: Double, to b: Double) -> Double {
        let (a, b) = (max(a, low), min(b, high))
        guard a < b else { return -.infinity }
        return Self.logStandardMass((a - mu) / sigma, (b - mu) / sigma) - logMass
    }

    /// A draw, by inverting the distribution function at a uniform quantile.
    func sample(_ random: inout some RandomNumberGenerator) -> Double {
        let q = Double.random(in: 0..<1, using: &random)
        let z = Self.standardQuantile(q, (low - mu) / sigma, (high - mu) / sigma)
        return min(high, max(low, mu + sigma * z))
    }

    // MARK: The standard normal, in log space

    static let logSqrt2Pi = 0.5 * Foundation.log(2 * Double.pi)

    /// Φ(z), the standard normal distribution function.
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// log Φ(z), accurate in both tails.
    static func logCDF(_ z: Double) -> Double {
        if z > 0 { return log1p(-0.5 * erfc(z / 2.0.squareRoot())) }
        if z > -20 { return Foundation.log(cdf(z)) }
        // Far left tail: Φ(z) = φ(z)/(−z) · (1 − 1/z² + 1·3/z⁴ − 1·3·5/z⁶ + …), an asymptotic
        // series whose terms keep shrinking for this many terms when z² ≥ 400.
        var sum = 1.0, term = 1.0
        for k in 1...12 {
            term *= -Double(2 * k - 1) / (z * z)
            sum += term
        }
        return -0.5 * z * z - Foundation.log(-z) - logSqrt2Pi + Foundation.log(sum)
    }

    /// log(Φ(b) − Φ(a)) for `a ≤ b`, working in whichever tail keeps the difference precise.
    static func logStandardMass(_ a: Double, _ b: Double) -> Double {
        if b <= 0 { return logDifference(logCDF(b), logCDF(a)) }
        if a > 0 { return logStandardMass(-b, -a) }
        return log1p(-cdf(a) - cdf(-b))
    }

    /// The quantile `q` ∈ [0, 1) of the standard normal truncated to `[a, b]`.
    static func standardQuantile(_ q: Double, _ a: Double, _ b: Double) -> Double {
        guard a < b else { return a }
        let mass = logStandardMass(a, b)
        let z: Double
        if a < 0 {
            // Φ(z) = Φ(a) + q (Φ(b) − Φ(a)), solved in log space.
            z = inverseLogCDF(logSum(logCDF(a), Foundation.log(q) + mass))
        } else {
            // Mirrored, so that the arithmetic happens in the precise left tail.
            z = -inverseLogCDF(logSum(logCDF(-b), log1p(-q) + mass))
        }
        return min(b, max(a, z))
    }

    /// The z with log Φ(z) = `y` (`y` ≤ 0): a rational first guess (Acklam's approximation of
    /// the normal quantile), then Newton steps on log Φ, which is concave and increasing.
    static func inverseLogCDF(_ y: Double) -> Double {
        if y.isNaN { return .nan }
        if y >= 0 { return .infinity }
        if y == -.infinity { return -.infinity }
        // Above the median, solve for the mirrored point, where log Φ has its precision.
        if y > -Foundation.log(2.0) { return -inverseLogCDF(Foundation.log(-expm1(y))) }
        var z = acklamGuess(logP: y)
        for _ in 0..<50 {
            let logCDFz = logCDF(z)
            let logPDFz = -0.5 * z * z - logSqrt2Pi
            let step = (logCDFz - y) * Foundation.exp(logCDFz - logPDFz)
            z -= step
            if abs(step) <= 1e-13 * max(1, abs(z)) { break }
        }
        return z
    }

    /// Acklam's rational approximation of the normal quantile at p = exp(logP) ≤ 0.5 (relative
    /// error about 1e-9); the tail branch needs only log p, so p may underflow.
    private static func acklamGuess(logP: Double) -> Double {
        if logP < Foundation.log(0.02425) {
            let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                     -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
            let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
            let q = (-2 * logP).squareRoot()
            let numerator = ((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]
            let denominator = (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
            return numerator / denominator
        }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let q = Foundation.exp(logP) - 0.5
        let r = q * q
        let numerator = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
        let denominator = ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1
        return numerator / denominator
    }

    /// log(e^p + e^q).
    static func logSum(_ p: Double, _ q: Double) -> Double {
        let larger = max(p, q)
        guard larger > -.infinity else { return -.infinity }
        return larger + log1p(Foundation.exp(-abs(p - q)))
    }

    /// log(e^p − e^q) for `q ≤ p`.
    static func logDifference(_ p: Double, _ q: Double) -> Double {
        guard q > -.infinity else { return p }
        return p + log1p(-Foundation.exp(q - p))
    }
}
