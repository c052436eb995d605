import Crypto
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// An uploaded artifact streamed to a temporary file beside the blobs while its SHA-256 is computed, so that an
/// upload costs a buffer of memory, not its size. The file is fsynced;
/// ``RegistryStore/publish(name:upload:description:)`` decodes it from a memory map and renames it into place, and
/// ``discard()`` removes it when the upload is refused. A registry killed mid-upload leaves a `.upload.tmp-…` file
/// that the store removes at its next start once it is an hour old.
public struct ArtifactUpload: Sendable {
    /// The temporary file.
    public let path: String
    /// Lower-case hex SHA-256 of the content.
    public let sha256: String
    public let bytes: Int

    /// Why an upload could not be received.
    public enum Failure: Error, Sendable {
        /// The body passed `limit` bytes; nothing is kept.
        case tooLarge(limit: Int)
        case io(String)
    }

    /// Bytes gathered before each write to the file.
    static let writeSize = 1 << 20

    /// Streams `body` into a new temporary file in `directory`, refusing it once it passes `limit` bytes.
    public static func receive(_ body: RequestBody, into directory: String, limit: Int) async throws(Failure) -> ArtifactUpload {
        let path = directory + "/.upload.tmp-\(UUID().uuidString)"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot create \(path): \(String(cString: strerror(errno)))") }
        var hasher = SHA256()
        var total = 0
        var pending = ByteBuffer()
        do {
            for try await part in body {
                total += part.readableBytes
                guard total <= limit else { throw Failure.tooLarge(limit: limit) }
                part.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                pending.writeImmutableBuffer(part)
                if pending.readableBytes >= writeSize {
                    try await write(pending, to: fd)
                    pending.clear()
                }
            }
            try await write(pending, to: fd)
            try await NIOThreadPool.singleton.runIfActive {
                guard fsync(fd) == 0 else { throw Failure.io("fsync of \(path) failed: \(String(cString: strerror(errno)))") }
            }
        } catch {
            close(fd)
            unlink(path)
            if let failure = error as? Failure { throw failure }
            throw .io("the upload was interrupted: \(error)")
        }
        close(fd)
        return ArtifactUpload(path: path, sha256: hasher.finalize().hex, bytes: total)
    }

    private static func write(_ buffer: ByteBuffer, to fd: Int32) async throws {
        guard buffer.readableBytes > 0 else { return }
        try await NIOThreadPool.singleton.runIfActive {
            try buffer.withUnsafeReadableBytes { raw in
                var written = 0
                while written < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw Failure.io("write failed: \(String(cString: strerror(errno)))") }
                    written += n
                }
            }
        }
    }

    /// Removes the temporary file (a refused upload).
    public func discard() {
        unlink(path)
    }
}
