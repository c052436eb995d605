/// Where each feature's slots lie in a gradient histogram.
///
/// Feature `f` owns `binCounts[f] + 1` consecutive slots starting at `offsets[f]`, the
/// last one for missing values; each slot holds a `(g, h)` pair of `Int64` sums. Workers
/// and the coordinator agree on it through the bin cuts alone.
public struct HistogramLayout: Sendable, Equatable {
    public let binCounts: [Int]
    public let offsets: [Int]
    /// Slots in all: Σ (binCounts[f] + 1). A histogram holds `2 × totalSlots` integers.
    public let totalSlots: Int

    public init(binCounts: [Int]) {
        self.binCounts = binCounts
        var offsets: [Int] = []
        var total = 0
        for count in binCounts {
            offsets.append(total)
            total += count + 1
        }
        self.offsets = offsets
        totalSlots = total
    }

    public var features: Int { binCounts.count }

    /// The node's `(g, h)` totals: every row lands in exactly one slot of feature 0.
    public func total(of histogram: [Int64]) -> (g: Int64, h: Int64) {
        var g: Int64 = 0, h: Int64 = 0
        let slots = features > 0 ? binCounts[0] + 1 : 0
        for slot in 0..<slots {
            g &+= histogram[2 * slot]
            h &+= histogram[2 * slot + 1]
        }
        return (g, h)
    }
}
