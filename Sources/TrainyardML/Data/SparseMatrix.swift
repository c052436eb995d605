/// A compressed sparse row (CSR) matrix: for row `r`, the non-zero entries are
/// `indices[rowStarts[r]..<rowStarts[r + 1]]` (column indices, ascending) with `values` alongside.
///
/// Linear models train and predict on it directly, so hashed TF-IDF text and wide one-hot
/// encodings cost memory per non-zero, not per column.
public struct SparseMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var rowStarts: [Int]
    public var indices: [Int32]
    public var values: [Float]

    /// Wraps CSR arrays; traps unless `rowStarts` has `rows + 1` entries ending at `values.count`.
    public init(rows: Int, columns: Int, rowStarts: [Int], indices: [Int32], values: [Float]) {
        precondition(rowStarts.count == rows + 1 && indices.count == values.count && rowStarts.last == values.count)
        self.rows = rows
        self.columns = columns
        self.rowStarts = rowStarts
        self.indices = indices
        self.values = values
    }

    /// The non-zero entries of a dense matrix (`NaN`s are kept: they are not zero).
    public init(_ dense: DenseMatrix) {
        var rowStarts = [0], indices: [Int32] = [], values: [Float] = []
        for r in 0..<dense.rows {
            for c in 0..<dense.columns where dense[r, c] != 0 {
                indices.append(Int32(c))
                values.append(dense[r, c])
            }
            rowStarts.append(values.count)
        }
        self.init(rows: dense.rows, columns: dense.columns, rowStarts: rowStarts, indices: indices, values: values)
    }

    /// The matrix without its columns that hold no entry, and the original index of each kept
    /// column (ascending). Hashed text leaves most buckets empty; a linear model's weight for an
    /// empty column is 0 at the optimum and never moves from 0 under L-BFGS (its gradient is
    /// the penalty's, λ·0), so training on the kept columns and scattering the weights back
    /// gives the same model at the cost of the columns that are used.
    public func withoutEmptyColumns() -> (matrix: SparseMatrix, columns: [Int]) {
        var used = [Bool](repeating: false, count: columns)
        for index in indices { used[Int(index)] = true }
        let kept = used.indices.filter { used[$0] }
        guard kept.count < columns else { return (self, kept) }
        var position = [Int32](repeating: -1, count: columns)
        for (new, old) in kept.enumerated() { position[old] = Int32(new) }
        return (SparseMatrix(rows: rows, columns: kept.count, rowStarts: rowStarts, indices: indices.map { position[Int($0)] }, values: values),
                kept)
    }

    /// The matrix in the column space of ``withoutEmptyColumns()``: column `kept[k]` becomes
    /// column `k`, entries in other columns are dropped (a model trained on the kept columns
    /// gives them weight 0). `kept` is ascending.
    public func keeping(columns kept: [Int]) -> SparseMatrix {
        var position = [Int32](repeating: -1, count: columns)
        for (new, old) in kept.enumerated() { position[old] = Int32(new) }
        var starts = [0], newIndices: [Int32] = [], newValues: [Float] = []
        for r in 0..<rows {
            for k in rowStarts[r]..<rowStarts[r + 1] where position[Int(indices[k])] >= 0 {
                newIndices.append(position[Int(indices[k])])
                newValues.append(values[k])
            }
            starts.append(newIndices.count)
        }
        return SparseMatrix(rows: rows, columns: kept.count, rowStarts: starts, indices: newIndices, values: newValues)
    }

    /// The same matrix with every entry stored.
    public var dense: DenseMatrix {
        var values = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for k in rowStarts[r]..<rowStarts[r + 1] { values[r * columns + Int(indices[k])] = self.values[k] }
        }
        return DenseMatrix(rows: rows, columns: columns, values: values)
    }
}
