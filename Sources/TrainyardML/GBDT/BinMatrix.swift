/// The training matrix quantised to bin indices: one `UInt8` per value, row-major.
///
/// Feature `f` owns `binCounts[f] + 1` consecutive histogram slots starting at
/// `offsets[f]`; the last one collects missing values, and a missing value is stored as
/// the bin `binCounts[f]`. So histogram building needs no branch for missing values.
public struct BinMatrix: Sendable {
    public let rows: Int
    public let features: Int
    public let bins: [UInt8]
    /// The same bins feature by feature (`features × rows`): partitioning a node by one
    /// feature then reads consecutive bytes instead of one cache line per row.
    public let columnBins: [UInt8]
    /// Where each feature's slots lie in a histogram of this matrix.
    public let layout: HistogramLayout
    public var binCounts: [Int] { layout.binCounts }
    /// First histogram slot of each feature.
    public var offsets: [Int] { layout.offsets }
    /// Histogram slots in all: Σ (binCounts[f] + 1).
    public var totalSlots: Int { layout.totalSlots }

    /// Quantises `matrix` with `cuts`, row blocks on `threads` threads; also builds the column-major copy.
    public init(_ matrix: DenseMatrix, cuts: QuantileCuts, threads: Int) {
        rows = matrix.rows
        features = matrix.columns
        layout = HistogramLayout(binCounts: cuts.binCounts)
        let binCounts = layout.binCounts
        var bins = [UInt8](repeating: 0, count: rows * features)
        let columns = features
        // All bounds in one array so the loop touches no per-feature array (no ARC traffic).
        let flatCuts = cuts.cuts.flatMap { $0 }
        var cutStarts: [Int] = []
        var start = 0
        for count in binCounts {
            cutStarts.append(start)
            start += count
        }
        let counts = binCounts
        bins.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            matrix.values.withUnsafeBufferPointer { values in
                flatCuts.withUnsafeBufferPointer { bounds in
                    Parallel.forEachBlock(count: matrix.rows, threads: threads, minimumBlock: 8192) { range, _ in
                        for row in range {
                            let base = row * columns
                            for feature in 0..<columns {
                                let featureBounds = UnsafeBufferPointer(rebasing: bounds[cutStarts[feature]..<cutStarts[feature] + counts[feature]])
                                out[base + feature] = UInt8(QuantileCuts.bin(of: values[base + feature], in: featureBounds))
                            }
                        }
                    }
                }
            }
        }
        self.bins = bins
        var columnBins = [UInt8](repeating: 0, count: rows * features)
        let rowCount = rows
        columnBins.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            bins.withUnsafeBufferPointer { source in
                Parallel.forEach(count: columns, threads: threads) { feature in
                    for row in 0..<rowCount { out[feature * rowCount + row] = source[row * columns + feature] }
                }
            }
        }
        self.columnBins = columnBins
    }

    /// Where each feature's slots lie in a histogram of this matrix.
}
