/// A training parameter or label that cannot be used, naming it and saying why.
public enum ParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(_ name: String, _ reason: String)

    public var description: String {
        switch self {
        case .invalid(let name, let reason): "invalid \(name): \(reason)"
        }
    }
}
