/// Why a job's data path was refused. Messages name the path as the submitter gave it and
/// the configured roots, never anything read from a file.
public enum DataPathError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path (or the file a symbolic link in it leads to) is not under any data root.
    case outsideRoots(path: String, roots: [String])
    /// Nothing readable exists at the path.
    case notFound(path: String)
    /// The path names something other than a regular file (a FIFO, a device, a directory, a socket).
    case notRegularFile(path: String, kind: String)
    /// The path is longer than the system allows.
    case tooLong(path: String)
    /// A configured data root does not exist or is not a directory (at coordinator start).
    case unusableRoot(String, reason: String)

    public var description: String {
        switch self {
        case .outsideRoots(let path, let roots):
            "data file '\(path)' is outside the coordinator's data roots (\(roots.joined(separator: ", "))); "
                + "move it under one, or start the coordinator with --data-root DIR"
        case .notFound(let path): "data file '\(path)' does not exist or is not readable on the coordinator"
        case .notRegularFile(let path, let kind): "data file '\(path)' is a \(kind), not a regular file; only regular files are read"
        case .tooLong(let path): "data path of \(path.utf8.count) bytes is longer than the system allows"
        case .unusableRoot(let root, let reason): "data root '\(root)' cannot be used: \(reason) (check --data-root)"
        }
    }
}
