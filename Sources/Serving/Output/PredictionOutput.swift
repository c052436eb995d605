import HTTPSupport
import TrainyardML

/// Writes predictions as JSON for each endpoint. Numbers are printed in Float's shortest
/// round-trip form, so a client parsing them gets back exactly the Float `trainyard predict` prints.
public enum PredictionOutput {
    /// `/predict`: one object per row — `{"class", "probabilities": {class: p, …}}` for classifiers (binary ones too:
    /// both classes by name), `{"prediction"}` for regression.
    public static func records(_ predictions: [Float], rows: Int, model: TrainyardModel) -> String {
        "[" + recordElements(predictions, rows: rows, model: model) + "]"
    }

    /// The comma-separated elements of ``records(_:rows:model:)``' array, so that chunks of a
    /// batch can be written apart and joined.
    public static func recordElements(_ predictions: [Float], rows: Int, model: TrainyardModel) -> String {
        var out = ""
        out.reserveCapacity(rows * 40)
        let classes = model.label.classes
        func className(_ index: Int) -> String { classes.map { $0[index] } ?? String(index) }
        let binaryNames = [string(className(0)), string(className(1))]
        for row in 0..<rows {
            if row > 0 { out += "," }
            switch model.objective {
            case .binaryLogistic:
                let p = predictions[row]
                out += "{\"class\":" + binaryNames[p > 0.5 ? 1 : 0] + ",\"probabilities\":{" + binaryNames[0] + ":" + number(1 - p)
                    + "," + binaryNames[1] + ":" + number(p) + "}}"
            case .softprob(let k):
                let slice = predictions[row * k..<(row + 1) * k]
                let best = slice.indices.max { slice[$0] < slice[$1] }! - row * k
                out += "{\"class\":" + string(className(best)) + ",\"probabilities\":{"
                for c in 0..<k {
                    if c > 0 { out += "," }
                    out += string(className(c)) + ":" + number(slice[row * k + c])
                }
                out += "}}"
            case .squaredError:
                out += "{\"prediction\":" + number(predictions[row]) + "}"
            }
        }
        return out
    }

    /// `/invocations` (MLflow) and V2: a flat array of numbers — the probability of the second class (the one
    /// ``classNames(_:)`` lists last, "positive" when the label was 0/1) for binary models, the value for
    /// regression — or an array of per-class probability arrays.
    public static func values(_ predictions: [Float], rows: Int, model: TrainyardModel) -> String {
        "[" + valueElements(predictions, rows: rows, model: model) + "]"
    }

    /// The comma-separated elements of ``values(_:rows:model:)``' array.
    public static func valueElements(_ predictions: [Float], rows: Int, model: TrainyardModel) -> String {
        var out = ""
        out.reserveCapacity(rows * 12)
        if case .softprob(let k) = model.objective {
            for row in 0..<rows {
                if row > 0 { out += "," }
                out += "[" + predictions[row * k..<(row + 1) * k].map(number).joined(separator: ",") + "]"
            }
        } else {
            for (index, p) in predictions.enumerated() {
                if index > 0 { out += "," }
                out += number(p)
            }
        }
        return out
    }

    /// A classifier's class names in the order of its probabilities (the label's levels, or `"0"`, `"1"`, …);
    /// `nil` for regression.
    public static func classNames(_ model: TrainyardModel) -> [String]? {
        let count: Int
        switch model.objective {
        case .binaryLogistic: count = 2
        case .softprob(let k): count = k
        case .squaredError: return nil
        }
        return (0..<count).map { index in model.label.classes.map { $0[index] } ?? String(index) }
    }

    /// The shape of the output tensor: `[rows]` or `[rows, classes]`.
    public static func shape(rows: Int, model: TrainyardModel) -> [Int] {
        if case .softprob(let k) = model.objective { return [rows, k] }
        return [rows]
    }

    /// A float as JSON (`null` if not finite).
    @inline(__always)
    static func number(_ value: Float) -> String { value.isFinite ? value.description : "null" }

    /// A JSON string literal.
    public static func string(_ text: String) -> String { JSONResponse.quoted(text) }
}
