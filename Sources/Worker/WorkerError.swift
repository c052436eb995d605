/// Why a worker stopped without being asked to.
public enum WorkerError: Error, CustomStringConvertible {
    /// The coordinator refused this worker (protocol version, invalid registration).
    case refused(String)

    public var description: String {
        switch self {
        case .refused(let reason): reason
        }
    }
}
