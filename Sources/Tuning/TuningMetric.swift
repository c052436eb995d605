import TrainyardML

/// The metric a study optimises: a validation metric the objective produces, and whether
/// larger is better.
public struct TuningMetric: Sendable, Equatable {
    /// The name as in a model's metrics, e.g. `valid.auc`.
    public let name: String
    public let direction: Direction

    /// `name` (`valid.auc` or `auc`) checked against what `objective` produces; `direction`
    /// defaults to the metric's natural one. Throws naming the metric otherwise.
    public init(_ name: String, direction: Direction? = nil, objective: Objective) throws(SearchSpaceError) {
        let bare = name.hasPrefix("valid.") ? String(name.dropFirst(6)) : name
        let produced = Metrics.names(for: objective)
        guard produced.contains(bare) else {
            throw .invalid("metric", "\(objective.name) models report valid.\(produced.joined(separator: ", valid.")); got '\(name)'")
        }
        self.name = "valid." + bare
        self.direction = direction ?? .natural(for: bare)
    }
}
