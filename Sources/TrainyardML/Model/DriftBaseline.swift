/// What the training rows looked like, kept in the model file so that a replica can tell when
/// live traffic drifts away from them (SageMaker Model Monitor's baseline): per input feature the
/// distribution over a few bins and the missing rate, and the distribution of the predictions.
///
/// Numeric features (and predictions) are binned at the training deciles: up to 9 ascending cut
/// points, 10 bins holding about a tenth of the rows each (fewer when values repeat).
/// Categorical features keep the shares of their most frequent levels (up to ``maxLevels``) and
/// one bucket for every other value — rarer training levels, and at serving time levels the model
/// never saw. Text features keep only their missing (empty) rate.
public struct DriftBaseline: Sendable, Equatable, Codable {
    /// At most this many categorical levels are tracked one by one.
    public static let maxLevels = 50
    /// Bins of a numeric feature: cut at the deciles.
    public static let quantileBins = 10

    public struct Feature: Sendable, Equatable, Codable {
        public var name: String
        public var kind: ColumnKind
        /// Numeric: ascending cut points; value `v` falls in bin `i`, the number of cuts ≤ `v`.
        public var cuts: [Float]?
        /// Categorical: the tracked levels; bin `i` is level `i`, bin `levels.count` every other value.
        public var levels: [String]?
        /// Share of the present (non-missing) training values in each bin; empty for text.
        public var shares: [Double]
        /// Share of training rows where the feature is missing.
        public var missingRate: Double

        public init(name: String, kind: ColumnKind, cuts: [Float]? = nil, levels: [String]? = nil, shares: [Double], missingRate: Double) {
            self.name = name
            self.kind = kind
            self.cuts = cuts
            self.levels = levels
            self.shares = shares
            self.missingRate = missingRate
        }

        /// Bins of this feature (0 for text).
        public var bins: Int { shares.count }

        /// The bin of a numeric value (not NaN).
        public func bin(_ value: Float) -> Int {
            guard let cuts else { return 0 }
            var low = 0, high = cuts.count
            while low < high {
                let middle = (low + high) / 2
                if cuts[middle] <= value { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// The model's input features, in its input order.
    public var features: [Feature]
    /// The predictions on the training rows (the first output: the positive class's probability,
    /// the value, or class 0's probability), binned as a numeric feature.
    public var prediction: Feature
    /// Training rows it was computed on.
    public var rows: Int

    public init(features: [Feature], prediction: Feature, rows: Int) {
        self.features = features
        self.prediction = prediction
        self.rows = rows
    }

    /// The baseline of `inputs` (the model's used input columns) in `table` (the raw training
    /// features) and of `predictions` (`outputs` values per row).
    public static func compute(_ table: Table, inputs: [InputColumn], predictions: [Float], outputs: Int) -> DriftBaseline {
        let features = inputs.compactMap { input -> Feature? in
            guard let column = table[input.name] else { return nil }
            return feature(input.name, column)
        }
        let rows = table.rows
        let first = stride(from: 0, to: predictions.count, by: max(outputs, 1)).map { predictions[$0] }
        var prediction = feature("prediction", .numeric(first))
        prediction.name = "prediction"
        return DriftBaseline(features: features, prediction: prediction, rows: rows)
    }

    /// One feature's baseline from its training column.
    static func feature(_ name: String, _ column: Column) -> Feature {
        switch column {
        case .numeric(let values):
            let present = values.filter { !$0.isNaN }.sorted()
            let cuts = Self.cuts(sorted: present)
            var feature = Feature(name: name, kind: .numeric, cuts: cuts, shares: [], missingRate: rate(values.count - present.count, values.count))
            var counts = [Int](repeating: 0, count: cuts.count + 1)
            for value in present { counts[feature.bin(value)] += 1 }
            feature.shares = counts.map { rate($0, present.count) }
            return feature
        case .categorical(let codes, let levels):
            var counts = [Int](repeating: 0, count: levels.count)
            var missing = 0
            for code in codes { if code < 0 { missing += 1 } else { counts[Int(code)] += 1 } }
            // Most frequent first; ties by name, so the baseline does not depend on level order.
            let tracked = levels.indices.filter { counts[$0] > 0 }.sorted { (counts[$0], levels[$1]) > (counts[$1], levels[$0]) }
                .prefix(maxLevels)
            let present = codes.count - missing
            let kept = tracked.map { counts[$0] }
            let shares = kept.map { rate($0, present) } + [rate(present - kept.reduce(0, +), present)]
            return Feature(name: name, kind: .categorical, levels: tracked.map { levels[$0] }, shares: shares,
                           missingRate: rate(missing, codes.count))
        case .text(let values):
            return Feature(name: name, kind: .text, shares: [], missingRate: rate(values.filter(\.isEmpty).count, values.count))
        }
    }

    /// Up to ``quantileBins`` − 1 distinct cut points at the deciles of `sorted` values.
    static func cuts(sorted: [Float]) -> [Float] {
        guard !sorted.isEmpty else { return [] }
        var cuts: [Float] = []
        for k in 1..<quantileBins {
            let value = sorted[min(sorted.count - 1, sorted.count * k / quantileBins)]
            // A cut equal to the smallest value would leave its bin empty.
            if value > sorted[0], cuts.last.map({ value > $0 }) ?? true { cuts.append(value) }
        }
        return cuts
    }

    private static func rate(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }

    /// What is wrong with the baseline, if anything (a model file from elsewhere): bins that do
    /// not match their cuts or levels, shares outside [0, 1], cuts out of order.
    public var problem: String? {
        for feature in features + [prediction] {
            let expected = feature.cuts.map { $0.count + 1 } ?? feature.levels.map { $0.count + 1 } ?? 0
            guard feature.shares.count == expected else { return "baseline of '\(feature.name)' has \(feature.shares.count) shares for \(expected) bins" }
            guard (feature.shares + [feature.missingRate]).allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
                return "baseline of '\(feature.name)' has a share outside [0, 1]"
            }
            if let cuts = feature.cuts, !zip(cuts, cuts.dropFirst()).allSatisfy({ $0 < $1 }) || !cuts.allSatisfy(\.isFinite) {
                return "baseline cuts of '\(feature.name)' are not finite and ascending"
            }
        }
        return nil
    }
}
