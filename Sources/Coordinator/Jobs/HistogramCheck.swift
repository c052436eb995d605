import TrainyardML

/// What a worker's histograms must satisfy before the coordinator sums them, so that no
/// worker can make it add numbers a shard of its size could not produce.
///
/// Every row adds a fixed-point gradient of magnitude below 2^30 and a hessian in
/// [0, 2^30) (``QuantizedGradients``) to exactly one slot of every feature. A histogram of
/// a shard of `rows` rows therefore has, in every slot, |Σg| ≤ rows × 2^30 and
/// 0 ≤ Σh ≤ rows × 2^30, and the same (Σg, Σh) over each feature's slots. Sums across
/// shards and the subtraction of left children from their parents are checked for `Int64`
/// overflow (`addingReportingOverflow`); a right child must keep every Σh ≥ 0.
struct HistogramCheck: Sendable {
    let layout: HistogramLayout

    init(layout: HistogramLayout) { self.layout = layout }

    /// Integers in one histogram.
    var size: Int { 2 * layout.totalSlots }

    /// The largest |Σ| one slot can hold for `rows` rows.
    static func bound(rows: Int) -> Int64 {
        let (product, overflow) = Int64(max(rows, 0)).multipliedReportingOverflow(by: 1 << 30)
        return overflow ? .max : product
    }

    /// `nil` when `values` holds exactly `count` valid histograms, back to back, of a shard of
    /// `rows` rows; otherwise what is wrong, naming the histogram, feature and slot.
    func problem(_ values: UnsafeBufferPointer<Int64>, count: Int, rows: Int) -> String? {
        let (expected, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, values.count == expected else {
            return "\(values.count) integers where \(count) histogram\(count == 1 ? "" : "s") of \(size) were expected"
        }
        let bound = Self.bound(rows: rows)
        for k in 0..<count {
            let base = k * size
            var reference: (g: Int64, h: Int64)?
            for feature in 0..<layout.features {
                var g: Int64 = 0, h: Int64 = 0
                let first = layout.offsets[feature]
                for slot in first...(first + layout.binCounts[feature]) {
                    let sg = values[base + 2 * slot], sh = values[base + 2 * slot + 1]
                    guard sg >= -bound, sg <= bound, sh >= 0, sh <= bound else {
                        return "histogram \(k), feature \(feature), slot \(slot - first) holds (Σg, Σh) = (\(sg), \(sh)), "
                            + "beyond what \(rows) rows can sum to (|Σg| ≤ \(bound), 0 ≤ Σh ≤ \(bound))"
                    }
                    let (nextG, overflowG) = g.addingReportingOverflow(sg)
                    let (nextH, overflowH) = h.addingReportingOverflow(sh)
                    guard !overflowG, !overflowH else {
                        return "histogram \(k), feature \(feature): the slots' sums overflow Int64"
                    }
                    (g, h) = (nextG, nextH)
                }
                guard g >= -bound, g <= bound, h <= bound else {
                    return "histogram \(k), feature \(feature) sums to (Σg, Σh) = (\(g), \(h)), beyond what \(rows) rows can sum to"
                }
                if let reference {
                    guard reference == (g, h) else {
                        return "histogram \(k): feature \(feature)'s slots sum to (\(g), \(h)), feature 0's to "
                            + "(\(reference.g), \(reference.h)); every row falls in one slot of each feature"
                    }
                } else {
                    reference = (g, h)
                }
            }
        }
        return nil
    }

    /// Adds `values` into `total` slot by slot; the index of the first sum that overflows `Int64`, if any.
    static func add(_ values: UnsafeBufferPointer<Int64>, into total: UnsafeMutableBufferPointer<Int64>) -> Int? {
        precondition(values.count == total.count, "histograms of different layouts")
        var overflowAt: Int?
        for i in 0..<total.count {
            let (sum, overflow) = total[i].addingReportingOverflow(values[i])
            total[i] = sum
            if overflow && overflowAt == nil { overflowAt = i }
        }
        return overflowAt
    }

    /// `parent − child`, slot by slot, or what is wrong: a difference that overflows, or a
    /// negative hessian sum (the child holds more than its parent).
    static func subtract(_ parent: [Int64], _ child: [Int64]) -> Result<[Int64], HistogramProblem> {
        precondition(parent.count == child.count, "histograms of different layouts")
        var problem: HistogramProblem?
        let difference = parent.withUnsafeBufferPointer { p in
            child.withUnsafeBufferPointer { c in
                [Int64](unsafeUninitializedCapacity: p.count) { out, initialized in
                    for i in 0..<p.count {
                        let (value, overflow) = p[i].subtractingReportingOverflow(c[i])
                        out[i] = value
                        if problem == nil {
                            if overflow {
                                problem = HistogramProblem("integer \(i) of a child's histogram overflows Int64 when subtracted from its parent")
                            } else if i % 2 == 1 && value < 0 {
                                problem = HistogramProblem("slot \(i / 2) of a left child's summed histogram holds more hessian (\(c[i])) than its parent (\(p[i]))")
                            }
                        }
                    }
                    initialized = p.count
                }
            }
        }
        if let problem { return .failure(problem) }
        return .success(difference)
    }
}

/// Why a histogram (or a sum of them) was refused.
struct HistogramProblem: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
