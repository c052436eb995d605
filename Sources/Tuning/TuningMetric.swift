import TrainyardML

/// The metric a study optimises: a validation metric the objective produces, and whether
/// larger is better.
public struct TuningMetric: Sendable, Equatable {
    /// The name as in a model's metrics, e.g. `valid.auc`.
    public let name: String
    public let direction: Direction

    /// The validation metrics of each objective, and the direction each is best in.
    static let known: [String: Direction] = ["auc": .maximize, "accuracy": .maximize, "logloss": .minimize,
                                             "mlogloss": .minimize, "rmse": .minimize, "mae": .minimize]

    /// `name` (`valid.auc` or `auc`) checked against what `objective` produces; `direction`
    /// defaults to the metric's natural one. Throws naming the metric otherwise.
    public init(_ name: String, direction: Direction? = nil, objective: Objective) throws(SearchSpaceError) {
        let bare = name.hasPrefix("valid.") ? String(name.dropFirst(6)) : name
        let produced: [String] = switch objective {
        case .binaryLogistic: ["auc", "logloss", "accuracy"]
        case .squaredError: ["rmse", "mae"]
        case .softprob: ["mlogloss", "accuracy"]
        }
        guard produced.contains(bare), let natural = Self.known[bare] else {
            throw .invalid("metric", "\(objective.name) models report valid.\(produced.joined(separator: ", valid.")); got '\(name)'")
        }
        self.name = "valid." + bare
        self.direction = direction ?? natural
    }
}
