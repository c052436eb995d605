/// Formats predictions as CSV: `probability,class` (binary), one probability per class and
/// `class` (multiclass), or `prediction` (regression), after any columns passed through from the
/// input (`--keep`). `trainyard predict` and batch prediction on workers write the same text.
public struct PredictionWriter: Sendable {
    public let model: TrainyardModel

    public init(model: TrainyardModel) { self.model = model }

    /// The header line (no newline): the kept columns, then the prediction columns.
    public func header(keep: [String] = []) -> String {
        let classes = model.label.classes
        let columns: [String] = switch model.objective {
        case .binaryLogistic: ["probability", "class"]
        case .softprob(let k): (0..<k).map { "probability_\(className($0, classes))" } + ["class"]
        case .squaredError: ["prediction"]
        }
        return (keep.map(Self.field) + columns).joined(separator: ",")
    }

    /// The header and one line per row, each ending in a newline.
    public func csv(_ predictions: [Float], rows: Int) -> String {
        header() + "\n" + lines(predictions, rows: rows)
    }

    /// One line per row, each ending in a newline: `kept[c][row]` for each kept column (CSV-quoted
    /// where needed), then the row's predictions.
    public func lines(_ predictions: [Float], rows: Int, kept: [[String]] = []) -> String {
        var text = ""
        text.reserveCapacity(rows * (24 + 12 * kept.count))
        let classes = model.label.classes
        for row in 0..<rows {
            for column in kept {
                text += Self.field(column[row])
                text += ","
            }
            switch model.objective {
            case .binaryLogistic:
                let p = predictions[row]
                text += "\(p),\(className(p > 0.5 ? 1 : 0, classes))"
            case .softprob(let k):
                let slice = predictions[row * k..<(row + 1) * k]
                let best = slice.indices.max { slice[$0] < slice[$1] }! - row * k
                text += (slice.map { "\($0)" } + [className(best, classes)]).joined(separator: ",")
            case .squaredError:
                text += "\(predictions[row])"
            }
            text += "\n"
        }
        return text
    }

    /// `value` as one CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
    public static func field(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private func className(_ index: Int, _ classes: [String]?) -> String {
        classes.map { $0[index] } ?? String(index)
    }
}
