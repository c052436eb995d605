import DistributedTraining
import ModelRegistry
import TrainyardML

/// The quality gate of a pipeline run, as a pure function of the dataset version's profile, its
/// schema and the previous version's schema.
struct QualityCheck: Sendable, Equatable {
    /// Why the gate said no (nil: passed), and what it measured.
    var failure: String?
    var outputs: [String: String]

    init(_ gate: PipelineSpec.QualityGate, profile: DataProfile, label: String, previous: [DatasetVersion.Column]?) {
        var outputs = ["rows": "\(profile.rows)"]
        var failures: [String] = []
        if let minimum = gate.minRows, profile.rows < minimum {
            failures.append("\(profile.rows) rows, fewer than min_rows \(minimum)")
        }
        let byName = Dictionary(profile.columns.map { ($0.name, $0) }) { first, _ in first }
        for column in [label] + gate.requiredColumns where byName[column] == nil {
            failures.append("column '\(column)' is missing\(column == label ? " (the label)" : "")")
        }
        var worst: (name: String, fraction: Double)?
        for column in profile.columns {
            let fraction = profile.rows == 0 ? 0 : Double(column.missing) / Double(profile.rows)
            if worst == nil || fraction > worst!.fraction { worst = (column.name, fraction) }
            if let limit = gate.maxMissingByColumn[column.name] ?? gate.maxMissing, fraction > limit {
                failures.append("column '\(column.name)' is \(Self.percent(fraction)) missing, above max_missing \(Self.percent(limit))")
            }
        }
        if let worst { outputs["max_missing"] = "\(worst.name) \(Self.percent(worst.fraction))" }
        if gate.schemaCompatible, let previous {
            for column in previous {
                guard let now = byName[column.name] else {
                    failures.append("column '\(column.name)' of the previous version is missing (schema changed)")
                    continue
                }
                if now.kind != column.kind {
                    failures.append("column '\(column.name)' was \(column.kind.rawValue) and is now \(now.kind.rawValue) (schema changed)")
                }
            }
        }
        if let minimum = gate.minClassFraction {
            if let balance = profile.labelBalance, !balance.isEmpty {
                let total = balance.values.reduce(0, +)
                let (rarest, count) = balance.min { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }!
                let fraction = Double(count) / Double(max(total, 1))
                outputs["rarest_class"] = "\(rarest) \(Self.percent(fraction))"
                if balance.count < 2 {
                    failures.append("the label '\(label)' has one class only ('\(rarest)')")
                } else if fraction < minimum {
                    failures.append("label class '\(rarest)' is \(Self.percent(fraction)) of the rows, below min_class_fraction \(Self.percent(minimum))")
                }
            } else if byName[label] != nil {
                failures.append("min_class_fraction needs a classification label, and '\(label)' has more than 20 values")
            }
        }
        self.failure = failures.isEmpty ? nil : failures.joined(separator: "; ")
        self.outputs = outputs
    }

    static func percent(_ fraction: Double) -> String {
        let value = (fraction * 1000).rounded() / 10
        return "\(value == value.rounded() ? String(Int(value)) : String(value)) %"
    }
}
