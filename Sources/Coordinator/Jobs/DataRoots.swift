import Foundation

/// The directories a coordinator reads job data from, and the rule that guards them: a
/// job's data path must name a **regular file** that lies, after every symbolic link is
/// resolved, under one of the roots.
///
/// Checking costs a `realpath` and a `stat`, neither of which opens the file, so a FIFO or a
/// device is refused without blocking. Reading happens elsewhere (``DataHeader`` and the job
/// thread), each re-checking the file it opened.
public struct DataRoots: Sendable, Equatable {
    /// The roots as configured, made absolute (relative ones against the working directory).
    public let configured: [String]
    /// The same roots with symbolic links resolved.
    public let resolved: [String]

    /// Resolves `directories`; throws ``DataPathError/unusableRoot(_:reason:)`` for one that
    /// does not exist or is not a directory.
    public init(_ directories: [String]) throws(DataPathError) {
        var configured: [String] = []
        var resolved: [String] = []
        for directory in directories {
            let absolute = Self.absolute(directory)
            guard let real = Self.realPath(absolute) else { throw .unusableRoot(directory, reason: "it does not exist") }
            guard Self.kind(of: real) == "directory" else { throw .unusableRoot(directory, reason: "it is not a directory") }
            configured.append(absolute)
            resolved.append(real)
        }
        self.configured = configured
        self.resolved = resolved
    }

    /// The real path of the regular file `path` names, or the reason it may not be read.
    /// Relative paths are taken from the coordinator's working directory.
    public func resolve(_ path: String) throws(DataPathError) -> String {
        guard !path.isEmpty, path.utf8.count < Int(PATH_MAX) else { throw .tooLong(path: path) }
        // Refuse paths outside the roots before touching the file system, so the answer does
        // not tell a submitter whether a file elsewhere exists.
        let lexical = Self.absolute(path)
        guard Self.isUnder(lexical, configured) || Self.isUnder(lexical, resolved) else {
            throw .outsideRoots(path: path, roots: configured)
        }
        guard let real = Self.realPath(lexical) else { throw .notFound(path: path) }
        guard Self.isUnder(real, resolved) else { throw .outsideRoots(path: path, roots: configured) }
        let kind = Self.kind(of: real)
        guard kind == "regular file" else { throw .notRegularFile(path: path, kind: kind ?? "missing file") }
        return real
    }

    static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (joined as NSString).standardizingPath
    }

    static func isUnder(_ path: String, _ roots: [String]) -> Bool {
        roots.contains { root in root == "/" || path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/") }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What `stat` says the path is, in words; `nil` if it cannot be stat'ed.
    static func kind(of path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return kind(mode: info.st_mode)
    }

    static func kind(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "regular file"
        case S_IFDIR: "directory"
        case S_IFIFO: "FIFO"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        case S_IFSOCK: "socket"
        case S_IFLNK: "symbolic link"
        default: "special file"
        }
    }
}
