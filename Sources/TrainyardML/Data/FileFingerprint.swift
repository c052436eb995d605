import Crypto
import Foundation

/// SHA-256 of a file, streamed through one reused 1 MiB buffer: the dataset fingerprint
/// recorded in models.
public enum FileFingerprint {
    static let blockBytes = 1 << 20

    /// Lower-case hex SHA-256 of the file at `path`, read in blocks (constant memory).
    public static func sha256(path: String) throws(DatasetError) -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .unreadable(file: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        // One buffer for the whole file: a fresh block per read would fault its pages in every time.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockBytes, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(file: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return hasher.finalize().hex
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hex }
}
