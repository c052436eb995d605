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
            Statistics(loss: a.loss + b.loss, gradient: zip(a.gradient, b.gradient).map { $0 + $1 })
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

    /// The statistics of all rows, computed per block in parallel and added in block order.
    public func statistics(features: some LinearFeatures, labels: [Float], parameters: [Double], threads: Int) -> Statistics {
        let blocks = max(1, min(threads, features.rows / 4096))
        let size = (features.rows + blocks - 1) / blocks
        var partial = [Statistics?](repeating: nil, count: blocks)
        partial.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEach(count: blocks, threads: threads) { b in
                let rows = (b * size)..<min(features.rows, (b + 1) * size)
                out[b] = statistics(features: features, labels: labels, rows: rows, parameters: parameters)
            }
        }
        return partial.compactMap { $0 }.dropFirst().reduce(partial[0]!, +)
    }
}
