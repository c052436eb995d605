/// A data-quality report: per-column type, missing share, cardinality, range and warnings,
/// and the label's class balance.
public struct DataProfile: Sendable, Codable, Equatable {
    public struct ColumnProfile: Sendable, Codable, Equatable {
        public var name: String
        public var kind: ColumnKind
        public var missing: Int
        public var missingPercent: Double
        /// Distinct non-missing values.
        public var cardinality: Int
        public var min: Double?
        public var max: Double?
        public var mean: Double?
        /// At most one distinct value: useless for learning.
        public var constant: Bool
        /// Looks like a row identifier: a categorical or text column whose values are (almost) all distinct, or
        /// whole numbers all distinct and nearly consecutive. Such a column memorises rows instead of generalising:
        /// leave it out with `--drop`.
        public var idLike: Bool = false
    }

    public var rows: Int
    public var columns: [ColumnProfile]
    /// Rows per label value, when a label is named.
    public var labelBalance: [String: Int]?
    public var skippedLines: [Int]

    /// The report for `table`; `labelBalance` only when `label` names a column with at most 20 values.
    public static func profile(_ table: Table, label: String? = nil) -> DataProfile {
        let columns = zip(table.names, table.columns).map { name, column -> ColumnProfile in
            switch column {
            case .numeric(let values):
                let present = values.filter { !$0.isNaN }
                let distinct = Set(present).count
                let mean = present.isEmpty ? nil : present.reduce(0.0) { $0 + Double($1) } / Double(present.count)
                let low = present.min().map(Double.init), high = present.max().map(Double.init)
                let sequential = present.count >= minimumIDRows && distinct == present.count && present.allSatisfy { $0 == $0.rounded() }
                    && (high! - low! + 1) <= 2 * Double(present.count)
                return ColumnProfile(name: name, kind: .numeric, missing: values.count - present.count,
                                     missingPercent: percent(values.count - present.count, values.count), cardinality: distinct,
                                     min: low, max: high, mean: mean, constant: distinct <= 1, idLike: sequential)
            case .categorical(let codes, _):
                let missing = codes.filter { $0 < 0 }.count
                let distinct = Set(codes.filter { $0 >= 0 }).count
                return ColumnProfile(name: name, kind: .categorical, missing: missing, missingPercent: percent(missing, codes.count),
                                     cardinality: distinct, constant: distinct <= 1, idLike: mostlyDistinct(distinct, codes.count - missing))
            case .text(let values):
                let missing = values.filter(\.isEmpty).count
                let distinct = Set(values.filter { !$0.isEmpty }).count
                return ColumnProfile(name: name, kind: .text, missing: missing, missingPercent: percent(missing, values.count),
                                     cardinality: distinct, constant: distinct <= 1)
            }
        }
        var balance: [String: Int]?
        if let label, let column = table[label] {
            switch column {
            case .numeric(let values):
                balance = Dictionary(grouping: values.filter { !$0.isNaN }, by: { value in
                    value == value.rounded() ? String(Int(value)) : String(value)
                }).mapValues(\.count)
                if (balance?.count ?? 0) > 20 { balance = nil }    // a regression target has no "balance"
            case .categorical(let codes, let levels):
                balance = Dictionary(grouping: codes.filter { $0 >= 0 }, by: { levels[Int($0)] }).mapValues(\.count)
            case .text:
                balance = nil
            }
        }
        return DataProfile(rows: table.rows, columns: columns, labelBalance: balance, skippedLines: table.skippedLines)
    }

    /// Fewer present values than this never look like identifiers (a tiny table's columns are all distinct).
    static let minimumIDRows = 20

    /// At least 90 % of the present values distinct.
    private static func mostlyDistinct(_ distinct: Int, _ present: Int) -> Bool {
        present >= minimumIDRows && distinct * 10 >= present * 9
    }

    private static func percent(_ part: Int, _ whole: Int) -> Double {
        whole == 0 ? 0 : Double(part) * 100 / Double(whole)
    }
}
