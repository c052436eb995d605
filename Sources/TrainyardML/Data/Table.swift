/// A columnar in-memory dataset: named, typed columns of equal length.
public struct Table: Sendable, Equatable {
    public private(set) var names: [String]
    public private(set) var columns: [Column]
    public let rows: Int
    /// Rows skipped as malformed while reading (with `skipBadRows`), with their line numbers.
    public var skippedLines: [Int] = []

    /// A table of equally long, named columns; traps if the lengths differ.
    public init(names: [String], columns: [Column]) {
        precondition(names.count == columns.count)
        precondition(Set(columns.map(\.count)).count <= 1, "columns have different lengths")
        self.names = names
        self.columns = columns
        rows = columns.first?.count ?? 0
    }

    /// The position of the column called `name`.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    public subscript(name: String) -> Column? {
        index(of: name).map { columns[$0] }
    }

    /// The table without `name` (e.g. the label column), and that column.
    public func removing(_ name: String) -> (table: Table, column: Column)? {
        guard let i = index(of: name) else { return nil }
        var names = self.names, columns = self.columns
        names.remove(at: i)
        let column = columns.remove(at: i)
        var table = Table(names: names, columns: columns)
        table.skippedLines = skippedLines
        return (table, column)
    }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> Table {
        let picked = columns.map { column -> Column in
            switch column {
            case .numeric(let v): .numeric(indices.map { v[$0] })
            case .categorical(let c, let levels): .categorical(codes: indices.map { c[$0] }, levels: levels)
            case .text(let v): .text(indices.map { v[$0] })
            }
        }
        return Table(names: names, columns: picked)
    }
}
