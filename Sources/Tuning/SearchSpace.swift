import Foundation
import Yams

/// The parameters a study searches, each with its distribution, and the values it fixes.
///
/// Read from YAML, one key per training parameter (`trainyard train`'s option names with
/// underscores or dashes, e.g. `eta`, `max_depth`, `model`):
///
/// ```yaml
/// model: {choice: [gbdt, linear]}
/// eta: {loguniform: [0.01, 0.3], when: {model: gbdt}}
/// max_depth: {int: [3, 10], when: {model: gbdt}}
/// min_child_weight: {int: [1, 64], log: true}
/// subsample: {uniform: [0.5, 1.0]}
/// lambda: {loguniform: [0.001, 10]}
/// n_trees: 300                      # fixed
/// ```
///
/// `when` makes a parameter conditional: it is drawn only when every named parameter has one
/// of the given values (a fixed value or an earlier parameter in this order: conditions name
/// parameters defined above them).
public struct SearchSpace: Sendable, Equatable {
    /// A searched parameter.
    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var distribution: Distribution
        /// Drawn only when each named parameter has one of its listed values.
        public var when: [String: [ParameterValue]]

        public init(name: String, distribution: Distribution, when: [String: [ParameterValue]] = [:]) {
            self.name = name
            self.distribution = distribution
            self.when = when
        }
    }

    /// In file order; a condition only names parameters before it.
    public var parameters: [Parameter]
    public var fixed: [String: ParameterValue]

    public init(parameters: [Parameter], fixed: [String: ParameterValue] = [:]) {
        self.parameters = parameters
        self.fixed = fixed
    }

    /// Whether `parameter` applies given the values chosen so far.
    public func isActive(_ parameter: Parameter, in values: [String: ParameterValue]) -> Bool {
        parameter.when.allSatisfy { name, allowed in values[name].map(allowed.contains) ?? false }
    }

    /// Draws every active parameter in order (fixed values included in the result).
    public func sample(_ random: inout some RandomNumberGenerator) -> [String: ParameterValue] {
        var values = fixed
        for parameter in parameters where isActive(parameter, in: values) {
            values[parameter.name] = parameter.distribution.sample(&random)
        }
        return values
    }

    /// Parses the YAML form above; throws ``SearchSpaceError`` naming the key at fault.
    public static func parse(yaml text: String) throws(SearchSpaceError) -> SearchSpace {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw SearchSpaceError.invalid("space", "the file is empty") }
            root = node
        } catch let error as SearchSpaceError {
            throw error
        } catch {
            throw .invalid("space", "not valid YAML: \(error)")
        }
        guard let mapping = root.mapping else { throw .invalid("space", "must be a mapping of parameter names to distributions") }
        var space = SearchSpace(parameters: [])
        for (keyNode, valueNode) in mapping {
            guard let name = keyNode.string, !name.isEmpty else { throw .invalid("space", "a key is not a parameter name") }
            let key = name.replacingOccurrences(of: "-", with: "_")
            guard space.fixed[key] == nil, !space.parameters.contains(where: { $0.name == key }) else {
                throw .invalid(key, "the parameter is listed twice")
            }
            if let scalar = valueNode.scalar {
                space.fixed[key] = value(of: scalar)
                continue
            }
            guard let spec = valueNode.mapping else { throw .invalid(key, "must be a value or a distribution such as {uniform: [0, 1]}") }
            space.parameters.append(try parameter(key, spec, defined: space))
        }
        guard !space.parameters.isEmpty else { throw .invalid("space", "no parameter is searched (every value is fixed)") }
        return space
    }

    private static func parameter(_ name: String, _ spec: Node.Mapping, defined space: SearchSpace) throws(SearchSpaceError) -> Parameter {
        var distribution: Distribution?
        var step = 1, logScale = false
        var when: [String: [ParameterValue]] = [:]
        for (keyNode, valueNode) in spec {
            let key = keyNode.string ?? ""
            switch key {
            case "uniform", "loguniform":
                let (low, high) = try bounds(name, key, valueNode)
                guard low <= high else { throw .invalid(name, "\(key) range is empty: \(low) > \(high)") }
                if key == "loguniform" {
                    guard low > 0 else { throw .invalid(name, "loguniform needs a lower bound > 0, got \(low)") }
                    distribution = .logUniform(low: low, high: high)
                } else {
                    distribution = .uniform(low: low, high: high)
                }
            case "int":
                let (low, high) = try bounds(name, key, valueNode)
                guard low == low.rounded(), high == high.rounded(), abs(low) < 1e15, abs(high) < 1e15 else {
                    throw .invalid(name, "int bounds must be integers, got [\(low), \(high)]")
                }
                guard low <= high else { throw .invalid(name, "int range is empty: \(Int(low)) > \(Int(high))") }
                distribution = .int(low: Int(low), high: Int(high), step: 1, log: false)
            case "step":
                guard let text = valueNode.scalar?.string, let value = Int(text), value >= 1 else {
                    throw .invalid(name, "step must be an integer ≥ 1")
                }
                step = value
            case "log":
                guard let text = valueNode.scalar?.string, let value = Bool(text) else { throw .invalid(name, "log must be true or false") }
                logScale = value
            case "choice":
                guard let values = valueNode.sequence?.compactMap({ $0.scalar.map(value(of:)) }),
                      values.count == valueNode.sequence?.count, !values.isEmpty else {
                    throw .invalid(name, "choice must be a non-empty list of values")
                }
                guard Set(values).count == values.count else { throw .invalid(name, "choice lists a value twice") }
                distribution = .choice(values)
            case "when":
                guard let conditions = valueNode.mapping else { throw .invalid(name, "when must map parameter names to values") }
                for (conditionKey, allowed) in conditions {
                    let other = (conditionKey.string ?? "").replacingOccurrences(of: "-", with: "_")
                    guard space.fixed[other] != nil || space.parameters.contains(where: { $0.name == other }) else {
                        throw .invalid(name, "when names '\(other)', which is not defined above it")
                    }
                    let values = allowed.sequence?.compactMap { $0.scalar.map(value(of:)) } ?? allowed.scalar.map { [value(of: $0)] } ?? []
                    guard !values.isEmpty else { throw .invalid(name, "when: '\(other)' needs a value or a list of values") }
                    when[other] = values
                }
            default:
                throw .invalid(name, "unknown key '\(key)' (use uniform, loguniform, int, choice, step, log, when)")
            }
        }
        guard var found = distribution else { throw .invalid(name, "needs one of uniform, loguniform, int or choice") }
        if case .int(let low, let high, _, _) = found {
            guard !(logScale && low <= 0) else { throw .invalid(name, "log: true needs a lower bound ≥ 1") }
            guard !(logScale && step != 1) else { throw .invalid(name, "log: true cannot be combined with a step") }
            found = .int(low: low, high: high, step: step, log: logScale)
        } else if step != 1 || logScale {
            throw .invalid(name, "step and log apply to int parameters only")
        }
        return Parameter(name: name, distribution: found, when: when)
    }

    private static func bounds(_ name: String, _ key: String, _ node: Node) throws(SearchSpaceError) -> (Double, Double) {
        guard let items = node.sequence, items.count == 2,
              let low = items[0].scalar.flatMap({ Double($0.string) }), let high = items[1].scalar.flatMap({ Double($0.string) }),
              low.isFinite, high.isFinite else {
            throw .invalid(name, "\(key) needs [low, high] with two finite numbers")
        }
        return (low, high)
    }

    /// A YAML scalar as an integer, a number or a name.
    static func value(of scalar: Node.Scalar) -> ParameterValue {
        let text = scalar.string
        if scalar.style == .plain {
            if let value = Int(text) { return .int(value) }
            if let value = Double(text), value.isFinite { return .double(value) }
        }
        return .string(text)
    }
}

/// Why a search space (or a parameter of a study) cannot be used; names the parameter.
public enum SearchSpaceError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let name, let reason): "search space: \(name): \(reason)"
        }
    }
}
