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
        let sample = Self.sample(matrix, firstRow: 0, totalRows: matrix.rows, threads: threads)
        return fromSamples([sample], maxBin: maxBin, threads: threads)
    }

    /// The rows used to place the cuts: every `stride`-th row of the whole dataset, so that
    /// a shard of it yields exactly its part of the sample.
    public static func stride(totalRows: Int) -> Int {
        max(1, (totalRows + sampleLimit - 1) / sampleLimit)
    }

    /// Per feature, the non-missing values of the sampled rows within this shard: the
    /// shard holds global rows `firstRow..<firstRow + shard.rows` of a `totalRows`-row dataset.
    /// The per-shard statistic of the cut computation.
    public static func sample(_ shard: DenseMatrix, firstRow: Int, totalRows: Int, threads: Int) -> [[Float]] {
        let stride = Self.stride(totalRows: totalRows)
        // The first global row of the shard that is a multiple of the stride.
        let first = (stride - firstRow % stride) % stride
        var samples = [[Float]](repeating: [], count: shard.columns)
        samples.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            shard.values.withUnsafeBufferPointer { values in
                Parallel.forEach(count: shard.columns, threads: threads) { feature in
                    var sample: [Float] = []
                    sample.reserveCapacity(shard.rows / stride + 1)
                    var row = first
                    while row < shard.rows {
                        let v = values[row * shard.columns + feature]
                        if !v.isNaN { sample.append(v) }
                        row += stride
                    }
                    out[feature] = sample
                }
            }
        }
        return samples
    }

    /// The merge and the decision: concatenates per-shard samples (in shard order; the order
    /// does not change the result, the values are sorted) and places the cuts.
    public static func fromSamples(_ shards: [[[Float]]], maxBin: Int, threads: Int) -> QuantileCuts {
        let features = shards.first?.count ?? 0
        let binsPerFeature = min(maxBin, 255)
        var cuts = [[Float]](repeating: [], count: features)
        cuts.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: features, threads: threads) { feature in
                out[feature] = cutsForSorted(shards.flatMap { $0[feature] }.sorted(), bins: binsPerFeature)
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
