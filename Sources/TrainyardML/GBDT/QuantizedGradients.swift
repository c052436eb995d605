import Foundation

/// Gradient pairs in fixed point, interleaved `[g0, h0, g1, h1, …]` as `Int32`.
///
/// Each value is scaled by a power of two chosen so the largest magnitude fills 30 bits
/// (a resolution of ~1e-9 of the largest gradient, finer than XGBoost's `float` gradients),
/// and histograms sum them in `Int64`, which cannot overflow below 2^33 rows. Integer sums
/// are exact and independent of the order of addition, so a histogram is bit-identical
/// whatever the thread count and whatever the number of workers whose partial histograms
/// are added.
public struct QuantizedGradients: Sendable {
    public var pairs: [Int32]
    /// A gradient is `value × 2^-gradientExponent`.
    public let gradientExponent: Int
    public let hessianExponent: Int

    /// The exponent that maps `maxAbs` to just under 2^30.
    public static func exponent(maxAbs: Float) -> Int {
        guard maxAbs > 0, maxAbs.isFinite else { return 0 }
        return 30 - Int(ceil(log2(Double(maxAbs)))) - 1
    }

    /// Quantises float pairs `[g0, h0, …]` with exponents chosen by the caller (from
    /// ``exponent(maxAbs:)`` over every row whose gradients will be summed together).
    public init(_ floats: UnsafeBufferPointer<Float>, gradientExponent: Int, hessianExponent: Int, threads: Int) {
        self.gradientExponent = gradientExponent
        self.hessianExponent = hessianExponent
        let gScale = Double(sign: .plus, exponent: gradientExponent, significand: 1)
        let hScale = Double(sign: .plus, exponent: hessianExponent, significand: 1)
        var pairs = [Int32](repeating: 0, count: floats.count)
        pairs.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachBlock(count: floats.count / 2, threads: threads, minimumBlock: 16384) { range, _ in
                for row in range {
                    // Truncation toward zero: deterministic and one instruction.
                    out[2 * row] = Int32(Double(floats[2 * row]) * gScale)
                    out[2 * row + 1] = Int32(Double(floats[2 * row + 1]) * hScale)
                }
            }
        }
        self.pairs = pairs
    }

    /// Computes and quantises in one pass, with exponents fixed in advance from bounds on
    /// the values (see ``Objective/gradientBounds``): no intermediate float buffer.
    public init(rows: Int, gradientExponent: Int, hessianExponent: Int, threads: Int,
                compute: (_ row: Int) -> (g: Float, h: Float)) {
        self.gradientExponent = gradientExponent
        self.hessianExponent = hessianExponent
        let gScale = Float(sign: .plus, exponent: gradientExponent, significand: 1)
        let hScale = Float(sign: .plus, exponent: hessianExponent, significand: 1)
        var pairs = [Int32](repeating: 0, count: 2 * rows)
        pairs.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachBlock(count: rows, threads: threads, minimumBlock: 16384) { range, _ in
                for row in range {
                    let (g, h) = compute(row)
                    // Scaling by a power of two is exact in Float too; truncation toward zero.
                    out[2 * row] = Int32(g * gScale)
                    out[2 * row + 1] = Int32(h * hScale)
                }
            }
        }
        self.pairs = pairs
    }

    /// The exponents, which is all that split finding needs to read the sums.
    public var scale: GradientScale { GradientScale(gradientExponent: gradientExponent, hessianExponent: hessianExponent) }
}

/// The fixed-point exponents of one tree's gradients: a gradient is `value × 2^-gradientExponent`.
public struct GradientScale: Sendable, Equatable, Codable {
    public var gradientExponent: Int
    public var hessianExponent: Int

    public init(gradientExponent: Int, hessianExponent: Int) {
        self.gradientExponent = gradientExponent
        self.hessianExponent = hessianExponent
    }

    /// Exponents that fit the largest magnitudes `maxGradient` and `maxHessian`.
    public init(maxGradient: Float, maxHessian: Float) {
        self.init(gradientExponent: QuantizedGradients.exponent(maxAbs: maxGradient),
                  hessianExponent: QuantizedGradients.exponent(maxAbs: maxHessian))
    }

    /// Converts fixed-point sums back to real gradient and hessian sums.
    @inline(__always)
    public func real(_ g: Int64, _ h: Int64) -> (g: Double, h: Double) {
        (Double(g) * Double(sign: .plus, exponent: -gradientExponent, significand: 1),
         Double(h) * Double(sign: .plus, exponent: -hessianExponent, significand: 1))
    }
}
