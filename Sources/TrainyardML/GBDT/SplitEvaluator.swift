/// The best split of one node, from its histogram.
public struct SplitCandidate: Sendable, Equatable {
    public var feature: Int
    /// Left child takes bins `0...bin`.
    public var bin: Int
    public var threshold: Float
    public var defaultLeft: Bool
    public var lossChange: Double
    public var left: (g: Int64, h: Int64)
    public var right: (g: Int64, h: Int64)

    public static func == (a: SplitCandidate, b: SplitCandidate) -> Bool {
        a.feature == b.feature && a.bin == b.bin && a.threshold == b.threshold && a.defaultLeft == b.defaultLeft
            && a.lossChange == b.lossChange && a.left == b.left && a.right == b.right
    }
}

/// XGBoost's split scoring: `gain(G, H) = T_α(G)² / (H + λ)`, where `T_α` shrinks `G`
/// towards 0 by α, and a split's loss change is `gain(L) + gain(R) − gain(parent)`.
/// Both directions for missing values are tried at every threshold; the better one is
/// the learned default direction.
public struct SplitEvaluator: Sendable {
    public let lambda: Double
    public let alpha: Double
    public let minChildWeight: Double
    /// XGBoost's `kRtEps`: loss changes at or below this are no split.
    public static let minimumLossChange = 1e-6

    /// An evaluator with the parameters' λ, α and `min_child_weight`.
    public init(parameters: GBDTParameters) {
        lambda = parameters.lambda
        alpha = parameters.alpha
        minChildWeight = parameters.minChildWeight
    }

    @inline(__always)
    func thresholdL1(_ g: Double) -> Double {
        g > alpha ? g - alpha : (g < -alpha ? g + alpha : 0)
    }

    /// `T_α(G)² / (H + λ)`.
    @inline(__always)
    public func gain(g: Double, h: Double) -> Double {
        let t = thresholdL1(g)
        return t * t / (h + lambda)
    }

    /// The optimal leaf weight `−T_α(G) / (H + λ)` (before the learning rate).
    @inline(__always)
    public func weight(g: Double, h: Double) -> Double {
        -thresholdL1(g) / (h + lambda)
    }

    /// The best split over the features allowed by `featureMask`, or `nil` if no split
    /// reduces the loss by more than ``minimumLossChange`` with both children heavy enough.
    /// Ties keep the first candidate in (feature, bin, missing-right-first) order.
    public func best(histogram: UnsafeBufferPointer<Int64>, total: (g: Int64, h: Int64), layout: HistogramLayout,
                     cuts: QuantileCuts, featureMask: [Bool], scale: GradientScale) -> SplitCandidate? {
        // The same products as `scale.real`, with the powers of two taken once.
        let gScale = Double(sign: .plus, exponent: -scale.gradientExponent, significand: 1)
        let hScale = Double(sign: .plus, exponent: -scale.hessianExponent, significand: 1)
        let parentGain = gain(g: Double(total.g) * gScale, h: Double(total.h) * hScale)
        let minChildWeight = self.minChildWeight
        var best: (feature: Int, bin: Int, missingLeft: Bool, left: (g: Int64, h: Int64))?
        var bestLoss = Self.minimumLossChange
        guard let slots = histogram.baseAddress else { return nil }
        for feature in 0..<layout.features where featureMask[feature] {
            let count = layout.binCounts[feature]
            guard count > 0 else { continue }
            let bins = slots + 2 * layout.offsets[feature]
            let missing = (g: bins[2 * count], h: bins[2 * count + 1])
            let hasMissing = missing.g != 0 || missing.h != 0
            var leftG: Int64 = 0, leftH: Int64 = 0
            for bin in 0..<count {
                let g = bins[2 * bin], h = bins[2 * bin + 1]
                // An empty bin leaves the sums, so the loss, as they were: not strictly better.
                if bin > 0 && g == 0 && h == 0 { continue }
                leftG &+= g
                leftH &+= h
                // Missing values right first, then left: the better one is the default direction.
                for direction in 0..<(hasMissing ? 2 : 1) {
                    let missingLeft = direction == 1
                    let lg = missingLeft ? leftG &+ missing.g : leftG
                    let lh = missingLeft ? leftH &+ missing.h : leftH
                    let lgReal = Double(lg) * gScale, lhReal = Double(lh) * hScale
                    let rgReal = Double(total.g &- lg) * gScale, rhReal = Double(total.h &- lh) * hScale
                    guard lhReal > 0, rhReal > 0, lhReal >= minChildWeight, rhReal >= minChildWeight else { continue }
                    let loss = gain(g: lgReal, h: lhReal) + gain(g: rgReal, h: rhReal) - parentGain
                    if loss > bestLoss {
                        bestLoss = loss
                        best = (feature, bin, missingLeft, (lg, lh))
                    }
                }
            }
        }
        return best.map { best in
            SplitCandidate(feature: best.feature, bin: best.bin, threshold: cuts.cuts[best.feature][best.bin],
                           defaultLeft: best.missingLeft, lossChange: bestLoss, left: best.left,
                           right: (total.g &- best.left.g, total.h &- best.left.h))
        }
    }
}
