/// Why the coordinator could not start.
public enum CoordinatorError: Error, Sendable, CustomStringConvertible {
    /// The job database could not be opened or migrated.
    case jobStore(path: String, reason: String)
    /// A configured data root does not exist or is not a directory.
    case dataRoot(DataPathError)
    /// CURVE was asked for but cannot be set up (no CURVE in libzmq, a bad key, the ZAP handler).
    case curve(String)

    public var description: String {
        switch self {
        case .jobStore(let path, let reason): "cannot open the job store \(path): \(reason) (check --state-dir)"
        case .dataRoot(let error): error.description
        case .curve(let reason): "cannot enable CURVE: \(reason)"
        }
    }
}
