/// Stable in-place partitions of a node's rows by a split, on a row-index array.
enum RowPartition {
    /// Nodes with at least this many rows are partitioned by several threads.
    static let parallelRows = 131_072

    /// Partitions `rows[range]` into rows going left, then rows going right, using
    /// `scratch[range]` as room for the right side. Returns the number going left.
    static func partition(_ rows: UnsafeMutableBufferPointer<UInt32>, scratch: UnsafeMutableBufferPointer<UInt32>,
                          range: Range<Int>, split: SplitOrder, bins: BinMatrix) -> Int {
        let feature = Int(split.feature)
        let missingBin = bins.binCounts[feature]
        let splitBin = Int(split.bin)
        let defaultLeft = split.defaultLeft
        var leftEnd = range.lowerBound
        var rightEnd = range.lowerBound
        bins.columnBins.withUnsafeBufferPointer { columnBins in
            let column = columnBins.baseAddress! + feature * bins.rows
            for i in range {
                let row = rows[i]
                let b = Int(column[Int(row)])
                if b == missingBin ? defaultLeft : b <= splitBin {
                    rows[leftEnd] = row
                    leftEnd += 1
                } else {
                    scratch[rightEnd] = row
                    rightEnd += 1
                }
            }
        }
        let leftCount = leftEnd - range.lowerBound
        for j in 0..<(rightEnd - range.lowerBound) { rows[leftEnd + j] = scratch[range.lowerBound + j] }
        return leftCount
    }

    /// The same partition for one large node, with its rows split over the threads: each
    /// block counts its left rows, then writes left and right rows straight to their final
    /// places in `scratch` (prefix sums of the counts), which is copied back.
    static func parallelPartition(_ rows: UnsafeMutableBufferPointer<UInt32>, scratch: UnsafeMutableBufferPointer<UInt32>,
                                  range: Range<Int>, split: SplitOrder, bins: BinMatrix, threads: Int) -> Int {
        let blocks = max(1, min(threads, range.count / 65536))
        guard blocks > 1 else { return partition(rows, scratch: scratch, range: range, split: split, bins: bins) }
        let feature = Int(split.feature)
        let missingBin = bins.binCounts[feature], splitBin = Int(split.bin), defaultLeft = split.defaultLeft
        let size = (range.count + blocks - 1) / blocks
        func block(_ b: Int) -> Range<Int> { (range.lowerBound + b * size)..<min(range.upperBound, range.lowerBound + (b + 1) * size) }
        return bins.columnBins.withUnsafeBufferPointer { columnBins -> Int in
            nonisolated(unsafe) let column = columnBins.baseAddress! + feature * bins.rows
            @inline(__always) func goesLeft(_ row: UInt32) -> Bool {
                let b = Int(column[Int(row)])
                return b == missingBin ? defaultLeft : b <= splitBin
            }
            var lefts = [Int](repeating: 0, count: blocks)
            lefts.withUnsafeMutableBufferPointer { counts in
                nonisolated(unsafe) let counts = counts
                Parallel.forEach(count: blocks, threads: blocks) { b in
                    var n = 0
                    for i in block(b) where goesLeft(rows[i]) { n += 1 }
                    counts[b] = n
                }
            }
            let totalLeft = lefts.reduce(0, +)
            var leftStart = [Int](), rightStart = [Int]()
            var l = range.lowerBound, r = range.lowerBound + totalLeft
            for b in 0..<blocks {
                leftStart.append(l)
                rightStart.append(r)
                l += lefts[b]
                r += block(b).count - lefts[b]
            }
            Parallel.forEach(count: blocks, threads: blocks) { b in
                var l = leftStart[b], r = rightStart[b]
                for i in block(b) {
                    let row = rows[i]
                    if goesLeft(row) { scratch[l] = row; l += 1 } else { scratch[r] = row; r += 1 }
                }
            }
            for i in range { rows[i] = scratch[i] }
            return totalLeft
        }
    }
}
