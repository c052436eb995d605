/// What the linear models need from a feature matrix: a row's dot product with the
/// weights, and adding a multiple of a row to a gradient. Dense and sparse matrices both
/// provide it, so one trainer serves both.
public protocol LinearFeatures: Sendable {
    var rows: Int { get }
    var columns: Int { get }
    /// `w · x_row` over the feature weights (the bias is not included).
    func dot(row: Int, _ w: UnsafeBufferPointer<Double>) -> Double
    /// `g += scale · x_row`.
    func addScaled(row: Int, _ scale: Double, into g: UnsafeMutableBufferPointer<Double>)
    /// The first row with a missing (`NaN`) value, if any.
    var firstRowWithMissingValue: Int? { get }
}

extension DenseMatrix: LinearFeatures {
    @inline(__always)
    public func dot(row: Int, _ w: UnsafeBufferPointer<Double>) -> Double {
        values.withUnsafeBufferPointer { x in
            var sum = 0.0
            let base = row * columns
            for j in 0..<columns { sum += w[j] * Double(x[base + j]) }
            return sum
        }
    }

    @inline(__always)
    public func addScaled(row: Int, _ scale: Double, into g: UnsafeMutableBufferPointer<Double>) {
        values.withUnsafeBufferPointer { x in
            let base = row * columns
            for j in 0..<columns { g[j] += scale * Double(x[base + j]) }
        }
    }

    public var firstRowWithMissingValue: Int? {
        values.firstIndex(where: \.isNaN).map { $0 / columns }
    }
}

extension SparseMatrix: LinearFeatures {
    @inline(__always)
    public func dot(row: Int, _ w: UnsafeBufferPointer<Double>) -> Double {
        var sum = 0.0
        for k in rowStarts[row]..<rowStarts[row + 1] { sum += w[Int(indices[k])] * Double(values[k]) }
        return sum
    }

    @inline(__always)
    public func addScaled(row: Int, _ scale: Double, into g: UnsafeMutableBufferPointer<Double>) {
        for k in rowStarts[row]..<rowStarts[row + 1] { g[Int(indices[k])] += scale * Double(values[k]) }
    }

    public var firstRowWithMissingValue: Int? {
        guard let k = values.firstIndex(where: \.isNaN) else { return nil }
        return rowStarts.lastIndex { $0 <= k }
    }
}
