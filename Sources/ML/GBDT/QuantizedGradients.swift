import Foundation

/// Gradient pairs in 64-bit fixed point, interleaved `[g0, h0, g1, h1, …]`.
///
/// Sums of fixed-point values are exact and independent of the order of addition, so a
/// histogram comes out bit-identical whatever the thread count — and, later, whatever the
/// number of workers whose partial histograms are added. Each scale is a power of two
/// chosen so that `rows × max|value| × scale ≤ 2^62`: no sum can overflow.
public struct QuantizedGradients: Sendable {
    public var pairs: [Int64]
    /// Multiply a gradient by `2^gradientExponent` to get its fixed-point value.
    public let gradientExponent: Int
    public let hessianExponent: Int

    /// The exponent giving the finest resolution without overflow for `rows` values of at most `maxAbs`.
    public static func exponent(rows: Int, maxAbs: Float) -> Int {
        guard maxAbs > 0, rows > 0 else { return 0 }
        let magnitude = Double(rows) * Double(maxAbs)
        return 62 - Int(ceil(log2(magnitude)))
    }

    /// Quantises float gradient pairs `[g0, h0, …]` with exponents fixed by the caller
    /// (from ``exponent(rows:maxAbs:)`` over all rows that will be summed together).
    public init(_ floats: UnsafeBufferPointer<Float>, gradientExponent: Int, hessianExponent: Int, threads: Int) {
        self.gradientExponent = gradientExponent
        self.hessianExponent = hessianExponent
        let gScale = Double(sign: .plus, exponent: gradientExponent, significand: 1)
        let hScale = Double(sign: .plus, exponent: hessianExponent, significand: 1)
        var pairs = [Int64](repeating: 0, count: floats.count)
        pairs.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachBlock(count: floats.count / 2, threads: threads, minimumBlock: 16384) { range, _ in
                for row in range {
                    out[2 * row] = Int64((Double(floats[2 * row]) * gScale).rounded())
                    out[2 * row + 1] = Int64((Double(floats[2 * row + 1]) * hScale).rounded())
                }
            }
        }
        self.pairs = pairs
    }

    /// Converts fixed-point sums back to real gradient and hessian sums.
    @inline(__always)
    public func real(_ g: Int64, _ h: Int64) -> (g: Double, h: Double) {
        (Double(g) * Double(sign: .plus, exponent: -gradientExponent, significand: 1),
         Double(h) * Double(sign: .plus, exponent: -hessianExponent, significand: 1))
    }
}
