/// Why the coordinator could not start.
public enum CoordinatorError: Error, Sendable, CustomStringConvertible {
    /// The job database could not be opened or migrated.
    case jobStore(path: String, reason: String)

    public var description: String {
        switch self {
        case .jobStore(let path, let reason): "cannot open the job store \(path): \(reason) (check --state-dir)"
        }
    }
}
