/// A dense, row-major `Float` feature matrix; `NaN` marks a missing value.
///
/// The storage is one contiguous array so hot loops can walk it through unsafe buffers.
public struct DenseMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// `rows × columns` values, row after row.
    public var values: [Float]

    /// Wraps row-major `values`; traps if their count is not `rows × columns`.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "\(values.count) values do not fill \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Builds a matrix from rows of equal length.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "rows have different lengths")
        self.init(rows: rows.count, columns: columns, values: rows.flatMap { $0 })
    }

    public subscript(row: Int, column: Int) -> Float {
        values[row * columns + column]
    }

    /// The rows in `range`, as a new matrix.
    public func rows(_ range: Range<Int>) -> DenseMatrix {
        DenseMatrix(rows: range.count, columns: columns,
                    values: Array(values[range.lowerBound * columns..<range.upperBound * columns]))
    }
}
