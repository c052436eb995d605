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
        let gradients = scale
        let bins = layout
        let totalReal = gradients.real(total.g, total.h)
        let parentGain = gain(g: totalReal.g, h: totalReal.h)
        var best: SplitCandidate?
        var bestLoss = Self.minimumLossChange
        for feature in 0..<bins.features where featureMask[feature] {
            let count = bins.binCounts[feature]
            guard count > 0 else { continue }
            let base = 2 * bins.offsets[feature]
            let missing = (g: histogram[base + 2 * count], h: histogram[base + 2 * count + 1])
            var leftG: Int64 = 0, leftH: Int64 = 0
            for bin in 0..<count {
                leftG &+= histogram[base + 2 * bin]
                leftH &+= histogram[base + 2 * bin + 1]
                // Missing values right first, then left: the better one is the default direction.
                for missingLeft in 0..<2 {
                    if missingLeft == 1 && missing.h == 0 && missing.g == 0 { continue }
                    let lg = missingLeft == 1 ? leftG &+ missing.g : leftG
                    let lh = missingLeft == 1 ? leftH &+ missing.h : leftH
                    let rg = total.g &- lg, rh = total.h &- lh
                    let l = gradients.real(lg, lh), r = gradients.real(rg, rh)
                    guard l.h > 0, r.h > 0, l.h >= minChildWeight, r.h >= minChildWeight else { continue }
                    let loss = gain(g: l.g, h: l.h) + gain(g: r.g, h: r.h) - parentGain
                    if loss > bestLoss {
                        bestLoss = loss
                        best = SplitCandidate(feature: feature, bin: bin, threshold: cuts.cuts[feature][bin],
                                              defaultLeft: missingLeft == 1, lossChange: loss,
                                              left: (lg, lh), right: (rg, rh))
                    }
                }
            }
        }
        return best
    }
}
