import Foundation
import TrainyardML

/// Reads a CSV file's column names for a job submission: only the first line, at most
/// ``maxBytes`` of it, from a file opened without blocking and confirmed to be a regular
/// file on the open descriptor (so a file swapped for a FIFO after ``DataRoots/resolve(_:)``
/// is still refused).
enum DataHeader {
    /// The longest header line read: 1 MiB.
    static let maxBytes = 1 << 20

    /// The column names of `source` at `realPath` (LIBSVM: `label` only, without reading).
    /// Errors name the file as `source.path` and never quote its contents.
    static func columns(of source: DatasetSource, realPath: String) throws -> [String] {
        try source.validate()
        if source.isLIBSVM { return ["label"] }
        let descriptor = open(realPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw DataPathError.notFound(path: source.path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw DataPathError.notFound(path: source.path) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw DataPathError.notRegularFile(path: source.path, kind: DataRoots.kind(mode: info.st_mode))
        }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 65536)
        while !bytes.contains(UInt8(ascii: "\n")) {
            guard bytes.count < maxBytes else {
                throw JobRequestError.invalid("\(source.path): the header line is longer than \(maxBytes) bytes")
            }
            let count = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw DatasetError.unreadable(file: source.path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += block[..<count]
        }
        if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) { bytes = Array(bytes[...newline]) }
        do {
            return try CSVReader.read(bytes: bytes, name: source.path, options: source.csvOptions()).names
        } catch {
            throw RedactedError(error)
        }
    }
}
