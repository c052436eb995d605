import Foundation

/// The data term of the linear objective and its gradient, as sums over rows.
///
/// Sums over disjoint row blocks add up to the sum over all rows, so shards (threads in
/// process, workers in a distributed job) each compute ``Statistics`` and the optimiser adds them.
public struct LinearLoss: Sendable {
    /// Loss sum and gradient sum (`weights…, bias`) over some rows.
    public struct Statistics: Sendable, Equatable {
        public var loss: Double
        public var gradient: [Double]

        public init(loss: Double, gradient: [Double]) {
            self.loss = loss
            self.gradient = gradient
        }

        public static func + (a: Statistics, b: Statistics) -> Statistics {
            var sum = a
            sum.add(b)
            return sum
        }

        /// Adds `other`'s loss and each gradient entry to these.
        public mutating func add(_ other: Statistics) {
            loss += other.loss
            gradient.withUnsafeMutableBufferPointer { g in
                other.gradient.withUnsafeBufferPointer { o in
                    for j in g.indices { g[j] += o[j] }
                }
            }
        }
    }

    public let objective: Objective

    /// The loss of `objective` (`binary:logistic` or `reg:squarederror`).
    public init(objective: Objective) { self.objective = objective }

    /// Logistic loss `log(1 + e^m) − y·m`, or `½(m − y)²`, summed over `rows`, with the gradient.
    public func statistics(features: some LinearFeatures, labels: [Float], rows: Range<Int>, parameters: [Double]) -> Statistics {
        let columns = features.columns
        var gradient = [Double](repeating: 0, count: columns + 1)
        var loss = 0.0
        let bias = parameters[columns]
        parameters.withUnsafeBufferPointer { w in
            gradient.withUnsafeMutableBufferPointer { g in
                for row in rows {
                    let margin = bias + features.dot(row: row, w)
                    let y = Double(labels[row])
                    let residual: Double
                    if objective == .binaryLogistic {
                        // log(1 + e^m) computed without overflow.
                        loss += (margin > 0 ? margin + log1p(exp(-margin)) : log1p(exp(margin))) - y * margin
                        residual = 1 / (1 + exp(-margin)) - y
                    } else {
                        residual = margin - y
                        loss += 0.5 * residual * residual
                    }
                    features.addScaled(row: row, residual, into: g)
                    g[columns] += residual
                }
            }
        }
        return Statistics(loss: loss, gradient: gradient)
    }

    /// The fewest rows of a block in ``statistics(features:labels:parameters:threads:)``.
    public static let minimumBlockRows = 1024

    /// Rows per block for a matrix of `columns` features: at least ``minimumBlockRows``, and at
    /// least `columns / 8`, so adding a block's gradient costs at most 8 additions per row.
    public static func blockRows(columns: Int) -> Int { max(minimumBlockRows, columns / 8) }

    /// The statistics of all rows: consecutive blocks of ``blockRows(columns:)`` rows, each
    /// summed in row order, computed `threads` at a time and added in block order (PROTOCOL.md
    /// §6.2.4) — the same sums, bit for bit, for any thread count.
    public func statistics(features: some LinearFeatures, labels: [Float], parameters: [Double], threads: Int) -> Statistics {
        let size = Self.blockRows(columns: features.columns)
        let blocks = max(1, (features.rows + size - 1) / size)
        func block(_ b: Int) -> Range<Int> { (b * size)..<min(features.rows, (b + 1) * size) }
        let workers = max(1, min(threads, blocks))
        var partial = [Statistics?](repeating: nil, count: workers)
        var total: Statistics?
        var first = 0
        while first < blocks {
            let wave = min(workers, blocks - first)
            partial.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                Parallel.forEach(count: wave, threads: workers) { i in
                    out[i] = statistics(features: features, labels: labels, rows: block(first + i), parameters: parameters)
                }
            }
            for i in 0..<wave {
                if total == nil { total = partial[i] } else { total!.add(partial[i]!) }
            }
            first += wave
        }
        return total!
    }
}
