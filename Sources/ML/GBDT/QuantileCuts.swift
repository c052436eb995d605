/// Per-feature histogram bin boundaries, as XGBoost's `HistogramCuts`.
///
/// `cuts[f]` is sorted and holds *upper bounds*: bin `b` of feature `f` holds the values
/// `v` with `cuts[f][b-1] <= v < cuts[f][b]`. A split after bin `b` sends a row left when
/// `value < cuts[f][b]`, which is exactly XGBoost's `split_condition` rule. Features with
/// few distinct values get one bin per value, so splits fall between observed values.
public struct QuantileCuts: Sendable, Equatable, Codable {
    public var cuts: [[Float]]

    /// Cuts given directly (e.g. agreed by a coordinator); each feature's bounds must be sorted.
    public init(cuts: [[Float]]) { self.cuts = cuts }

    /// Number of value bins of each feature (the missing slot is extra).
    public var binCounts: [Int] { cuts.map(\.count) }

    /// Rows sampled per feature to place the cuts; above this, rows are taken at a fixed
    /// stride so the result is deterministic. 2^18 rows place 256 quantiles to within ~0.1 %.
    public static let sampleLimit = 1 << 18

    /// Places at most `min(maxBin, 255)` bins per feature at the quantiles of its non-missing values.
    public static func compute(_ matrix: DenseMatrix, maxBin: Int, threads: Int) -> QuantileCuts {
        let binsPerFeature = min(maxBin, 255)
        let stride = max(1, (matrix.rows + sampleLimit - 1) / sampleLimit)
        var cuts = [[Float]](repeating: [], count: matrix.columns)
        cuts.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            matrix.values.withUnsafeBufferPointer { values in
                Parallel.forEach(count: matrix.columns, threads: threads) { feature in
                    var sample: [Float] = []
                    sample.reserveCapacity(matrix.rows / stride + 1)
                    var row = 0
                    while row < matrix.rows {
                        let v = values[row * matrix.columns + feature]
                        if !v.isNaN { sample.append(v) }
                        row += stride
                    }
                    out[feature] = cutsForSorted(sample.sorted(), bins: binsPerFeature)
                }
            }
        }
        return QuantileCuts(cuts: cuts)
    }

    /// Upper bounds for sorted values: one bin per distinct value when they fit, else quantiles.
    static func cutsForSorted(_ sorted: [Float], bins: Int) -> [Float] {
        guard let last = sorted.last else { return [] }
        var distinct: [Float] = []
        for v in sorted where distinct.last != v {
            distinct.append(v)
            if distinct.count > bins { break }
        }
        var bounds: [Float]
        if distinct.count <= bins {
            bounds = Array(distinct.dropFirst())
        } else {
            bounds = []
            for i in 1..<bins {
                let q = sorted[i * sorted.count / bins]
                if q > sorted[0], bounds.last.map({ q > $0 }) ?? true { bounds.append(q) }
            }
        }
        bounds.append(last + abs(last) * 1e-5 + 1e-5)
        return bounds
    }

    /// The bin of `value` for `feature` (`binCounts[feature]` if missing).
    public func bin(feature: Int, value: Float) -> Int {
        cuts[feature].withUnsafeBufferPointer { Self.bin(of: value, in: $0) }
    }

    /// The bin of `value` among sorted upper `bounds` (`bounds.count` if missing).
    @inline(__always)
    static func bin(of value: Float, in bounds: UnsafeBufferPointer<Float>) -> Int {
        guard !value.isNaN else { return bounds.count }
        guard bounds.count > 0 else { return 0 }
        // Branch-free upper bound: the first bound greater than `value`, clamped to the last bin.
        var low = 0, length = bounds.count
        while length > 0 {
            let half = length >> 1
            let goRight = bounds[low + half] <= value
            low = goRight ? low + half + 1 : low
            length = goRight ? length - half - 1 : half
        }
        return min(low, bounds.count - 1)
    }
}
