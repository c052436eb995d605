import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The write-ahead files of a prediction log under `--log-durability commit`: each record is appended to the current
/// journal file with one `write(2)` before its response goes out, so it survives the replica being killed (the
/// kernel has it, as SQLite's WAL at `synchronous=NORMAL` has a commit); the log's writer thread copies records into
/// SQLite in batches as it does in batched mode.
///
/// Files are `<log>.journal.<generation>`. Each batch the writer takes is exactly one generation (the writer starts
/// the next file when it takes a batch), committed to SQLite in one transaction together with its generation number
/// in `journal_applied`; the file is then removed. Opening the log replays every file left behind by a killed
/// replica whose generation is not in `journal_applied` — so a record is never lost nor logged twice.
///
/// A record is `[u32 LE length][8 bytes: SHA-256 of the payload, first 8][payload]`, the payload the record's fields
/// in order (``RecordCodec``); a torn or corrupt tail (the power failed mid-write) ends a file's replay. Not
/// thread-safe: the log calls it under its lock.
final class PredictionJournal {
    let logPath: String
    private(set) var generation: UInt64
    private var descriptor: Int32

    /// Starts a journal file of generation `first` (after every generation ever applied or left on disk).
    init(logPath: String, first: UInt64) throws {
        self.logPath = logPath
        generation = max(first, (Self.leftovers(logPath: logPath).last?.generation ?? 0) + 1)
        descriptor = -1
        descriptor = try open(generation)
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// A record as the bytes ``append(_:)`` writes (made before taking the log's lock).
    static func frame(_ record: PredictionRecord) -> [UInt8] {
        let payload = RecordCodec.encode(record)
        var frame = [UInt8]()
        frame.reserveCapacity(12 + payload.count)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { frame.append(contentsOf: $0) }
        frame.append(contentsOf: SHA256.hash(data: payload).prefix(8))
        frame.append(contentsOf: payload)
        return frame
    }

    /// Appends one record's ``frame(_:)``; returns once the kernel has all of it.
    func append(_ frame: [UInt8]) throws {
        try frame.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw JournalError("cannot append to \(path(generation)): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }

    /// Starts the next generation's file; returns the generation just ended (its records are the batch taken).
    func rotate() throws -> UInt64 {
        let ended = generation
        let next = try open(generation + 1)
        Glibc.close(descriptor)
        descriptor = next
        generation += 1
        return ended
    }

    /// Removes an ended generation's file once its records are in SQLite.
    func remove(_ generation: UInt64) {
        unlink(path(generation))
    }

    func path(_ generation: UInt64) -> String { Self.path(logPath: logPath, generation) }

    private func open(_ generation: UInt64) throws -> Int32 {
        let fd = Glibc.open(path(generation), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalError("cannot create \(path(generation)): \(String(cString: strerror(errno)))") }
        return fd
    }

    // MARK: Replay

    static func path(logPath: String, _ generation: UInt64) -> String { "\(logPath).journal.\(generation)" }

    /// The journal files beside `logPath`, oldest first.
    static func leftovers(logPath: String) -> [(generation: UInt64, path: String)] {
        let url = URL(fileURLWithPath: logPath)
        let directory = url.deletingLastPathComponent().path
        let prefix = url.lastPathComponent + ".journal."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        return names.compactMap { name -> (UInt64, String)? in
            guard name.hasPrefix(prefix), let generation = UInt64(name.dropFirst(prefix.count)) else { return nil }
            return (generation, (directory as NSString).appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }.map { (generation: $0.0, path: $0.1) }
    }

    /// The records of one journal file, up to its first torn or corrupt record.
    static func records(at path: String) -> [PredictionRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let bytes = [UInt8](data)
        var records: [PredictionRecord] = []
        var offset = 0
        while offset + 12 <= bytes.count {
            let length = Int(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
            let start = offset + 12
            guard length <= bytes.count - start else { break }
            let payload = bytes[start..<start + length]
            guard Array(SHA256.hash(data: payload).prefix(8)) == Array(bytes[offset + 4..<offset + 12]),
                  let record = RecordCodec.decode(payload) else { break }
            records.append(record)
            offset = start + length
        }
        return records
    }
}

/// A journal file could not be written.
struct JournalError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
