import CKernels

/// Builds gradient histograms: for every feature slot, the fixed-point sums of g and h of
/// the rows whose bin falls there. Layout: `[g(slot 0), h(slot 0), g(slot 1), …]`.
///
/// Rows are split into blocks over the threads; each thread fills its own histogram and
/// the partial histograms are added. Integer addition makes the result independent of
/// the split.
public struct HistogramBuilder: Sendable {
    public let threads: Int
    /// Rows per thread below which a node is built on one thread.
    public var minimumRowsPerThread = 8192

    /// A builder that uses up to `threads` threads per call.
    public init(threads: Int) { self.threads = threads }

    /// The histogram of one node's `rows`, split into row blocks over the threads and added.
    public func build(rows: UnsafeBufferPointer<UInt32>, bins: BinMatrix, gradients: UnsafeBufferPointer<Int32>) -> [Int64] {
        let slots = 2 * bins.totalSlots
        let workers = max(1, min(threads, rows.count / minimumRowsPerThread))
        var partials = [[Int64]](repeating: [], count: workers)
        partials.withUnsafeMutableBufferPointer { partialsOut in
            nonisolated(unsafe) let partialsOut = partialsOut
            Parallel.forEachBlock(count: rows.count, threads: workers, minimumBlock: 1) { range, worker in
                var histogram = [Int64](repeating: 0, count: slots)
                histogram.withUnsafeMutableBufferPointer { hist in
                    Self.accumulate(rows: UnsafeBufferPointer(rebasing: rows[range]), bins: bins, gradients: gradients, into: hist)
                }
                partialsOut[worker] = histogram
            }
        }
        var total = partials[0]
        for partial in partials.dropFirst() where !partial.isEmpty {
            total.withUnsafeMutableBufferPointer { sum in
                partial.withUnsafeBufferPointer { add in
                    for i in 0..<slots { sum[i] &+= add[i] }
                }
            }
        }
        return total
    }

    /// Histograms of several nodes (their row ranges in `order`), balanced over the threads:
    /// all rows are treated as one sequence cut into equal parts, each thread keeps one
    /// histogram per node it meets, and the parts are added per node.
    public func build(ranges: [Range<Int>], order: UnsafeBufferPointer<UInt32>, bins: BinMatrix,
                      gradients: UnsafeBufferPointer<Int32>) -> [[Int64]] {
        let slots = 2 * bins.totalSlots
        let total = ranges.reduce(0) { $0 + $1.count }
        let workers = max(1, min(threads, total / minimumRowsPerThread))
        let share = (total + workers - 1) / workers
        // partials[worker][node], empty where the worker saw none of the node's rows.
        var partials = [[[Int64]]](repeating: [[Int64]](repeating: [], count: ranges.count), count: workers)
        partials.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: workers, threads: workers) { worker in
                let begin = worker * share, end = min(total, begin + share)
                var position = 0
                for (node, range) in ranges.enumerated() {
                    let lower = max(begin, position), upper = min(end, position + range.count)
                    if lower < upper {
                        var histogram = [Int64](repeating: 0, count: slots)
                        let rows = (range.lowerBound + lower - position)..<(range.lowerBound + upper - position)
                        histogram.withUnsafeMutableBufferPointer { hist in
                            Self.accumulate(rows: UnsafeBufferPointer(rebasing: order[rows]), bins: bins, gradients: gradients, into: hist)
                        }
                        out[worker][node] = histogram
                    }
                    position += range.count
                }
            }
        }
        return ranges.indices.map { node in
            var sum = [Int64](repeating: 0, count: slots)
            sum.withUnsafeMutableBufferPointer { total in
                for worker in 0..<workers where !partials[worker][node].isEmpty {
                    partials[worker][node].withUnsafeBufferPointer { part in
                        for i in 0..<slots { total[i] &+= part[i] }
                    }
                }
            }
            return sum
        }
    }

    /// Rows ahead whose bins and gradients are prefetched.
    static let prefetchDistance = 16

    /// The hot loop: one pass over the rows, one slot update per feature.
    @inline(__always)
    static func accumulate(rows: UnsafeBufferPointer<UInt32>, bins: BinMatrix, gradients: UnsafeBufferPointer<Int32>,
                           into hist: UnsafeMutableBufferPointer<Int64>) {
        let features = bins.features
        bins.bins.withUnsafeBufferPointer { binValues in
            bins.offsets.withUnsafeBufferPointer { offsets in
                guard let binBase = binValues.baseAddress, let offsetBase = offsets.baseAddress,
                      let histBase = hist.baseAddress, let gradBase = gradients.baseAddress else { return }
                let ahead = Self.prefetchDistance
                for i in 0..<rows.count {
                    if i + ahead < rows.count {
                        let next = Int(rows[i + ahead])
                        ty_prefetch(binBase + next * features)
                        ty_prefetch(gradBase + 2 * next)
                    }
                    let r = Int(rows[i])
                    let g = Int64(gradBase[2 * r]), h = Int64(gradBase[2 * r + 1])
                    let rowBins = binBase + r * features
                    for feature in 0..<features {
                        let slot = 2 * (offsetBase[feature] + Int(rowBins[feature]))
                        histBase[slot] &+= g
                        histBase[slot + 1] &+= h
                    }
                }
            }
        }
    }

    /// `parent − child`, slot by slot: the sibling's histogram without touching its rows.
    public static func subtract(_ parent: [Int64], _ child: [Int64]) -> [Int64] {
        precondition(parent.count == child.count, "histograms of different layouts")
        return parent.withUnsafeBufferPointer { p in
            child.withUnsafeBufferPointer { c in
                [Int64](unsafeUninitializedCapacity: p.count) { out, initialized in
                    for i in 0..<p.count { out[i] = p[i] &- c[i] }
                    initialized = p.count
                }
            }
        }
    }
}
