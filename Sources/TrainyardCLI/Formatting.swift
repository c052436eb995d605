import Foundation

/// How the CLI prints numbers, the same in every command: metrics with four decimals, byte counts in binary units.
enum Format {
    /// A metric value (AUC, logloss, RMSE, …): four decimals, e.g. `0.9123`.
    static func metric(_ value: Double) -> String { String(format: "%.4f", value) }

    /// `name` padded to `width`, then the metric: the lines under a command's summary.
    static func metricLine(_ name: String, _ value: Double, width: Int = 16) -> String {
        "  " + name.padding(toLength: max(width, name.count), withPad: " ", startingAt: 0) + " " + metric(value)
    }

    /// A byte count for people: `512 B`, `1.5 KiB`, `23.4 MiB`, `2.0 GiB` (1 KiB = 1024 B).
    static func bytes(_ count: some BinaryInteger) -> String {
        let value = Double(count)
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard value >= 1024 else { return "\(count) B" }
        var scaled = value / 1024
        var unit = 0
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", scaled, units[unit])
    }

    /// A duration for people: `0.4 s`, `12 s`, `3.5 min`, `2.0 h`.
    static func seconds(_ value: Double) -> String {
        switch value {
        case ..<10: String(format: "%.1f s", value)
        case ..<120: String(format: "%.0f s", value)
        case ..<7200: String(format: "%.1f min", value / 60)
        default: String(format: "%.1f h", value / 3600)
        }
    }

    /// Rows of cells as a table: each column as wide as its widest cell, two spaces apart, no trailing spaces.
    static func table(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
    }
}
