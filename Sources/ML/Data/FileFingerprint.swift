import Crypto
import Foundation

/// SHA-256 of a file, streamed in 4 MiB blocks: the dataset fingerprint recorded in models.
public enum FileFingerprint {
    /// Lower-case hex SHA-256 of the file at `path`, read in blocks (constant memory).
    public static func sha256(path: String) throws(DatasetError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(file: path, reason: "cannot open") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let block: Data
            do { block = try handle.read(upToCount: 4 << 20) ?? Data() } catch { throw .unreadable(file: path, reason: "\(error)") }
            if block.isEmpty { break }
            hasher.update(data: block)
        }
        return hasher.finalize().hex
    }
}
