import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers see the old content or the new, never a partial file:
/// a temporary file in the same directory, flushed to disk, then renamed over the target.
public enum AtomicFile {
    /// Why the file could not be written; the target is unchanged and no temporary file is left.
    public struct WriteError: Error, Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: "cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        func fail(_ what: String) -> WriteError {
            let reason = "\(what) failed: \(String(cString: strerror(errno)))"
            close(fd)
            unlink(temporary.path)
            return WriteError(path: path, reason: reason)
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw fail("write") }
            written += n
        }
        guard fsync(fd) == 0 else { throw fail("fsync") }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw WriteError(path: path, reason: "rename failed: \(reason)")
        }
    }
}
