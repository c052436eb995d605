import Crypto
import Foundation

/// Reads and writes ``TrainyardModel`` files.
///
/// Layout: one ASCII header line `trainyard-model <version> sha256=<hex> bytes=<n>` and
/// then `n` bytes of JSON. Loading verifies the length and the checksum before decoding,
/// so a truncated or altered file is refused. Writing goes to a temporary file in the same
/// directory, is flushed to disk, then renamed over the target: readers see the old file or
/// the new one, never a partial one.
public enum ModelFile {
    static let magic = "trainyard-model"

    /// The bytes of a model file.
    public static func encode(_ model: TrainyardModel) throws(ModelFileError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let body: Data
        do { body = try encoder.encode(model) } catch { throw .encoding("\(error)") }
        let digest = SHA256.hash(data: body).hex
        return Array("\(magic) \(model.formatVersion) sha256=\(digest) bytes=\(body.count)\n".utf8) + Array(body)
    }

    /// Parses and verifies model file bytes: header, length, checksum, then the model's
    /// structure (``TrainyardModel/validate()``); `path` is used in error messages.
    public static func decode(_ bytes: [UInt8], path: String) throws(ModelFileError) -> TrainyardModel {
        try decode(Data(bytes), path: path)
    }

    /// Parses and verifies a model file held in `data` (possibly memory-mapped: the body is read in place).
    public static func decode(_ data: Data, path: String) throws(ModelFileError) -> TrainyardModel {
        guard let newline = data.prefix(200).firstIndex(of: UInt8(ascii: "\n")) else { throw .notAModel(path) }
        let header = String(decoding: data[data.startIndex..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 4, header[0] == magic, header[2].hasPrefix("sha256="), header[3].hasPrefix("bytes="),
              let version = Int(header[1]), let length = Int(header[3].dropFirst(6)) else { throw .notAModel(path) }
        guard TrainyardModel.readableVersions.contains(version) else {
            throw .unsupportedVersion(path, found: version, supported: TrainyardModel.formatVersion)
        }
        let body = data[(newline + 1)...]
        guard body.count == length else { throw .truncated(path, expected: length, found: body.count) }
        let expected = String(header[2].dropFirst(7))
        let actual = SHA256.hash(data: body).hex
        guard actual == expected else { throw .checksumMismatch(path, expected: expected, actual: actual) }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let model: TrainyardModel
        do { model = try decoder.decode(TrainyardModel.self, from: body) } catch { throw .decoding(path, "\(error)") }
        do throws(ModelValidationError) { try model.validate() } catch { throw .invalid(path, error) }
        return model
    }

    public static func read(path: String) throws(ModelFileError) -> TrainyardModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw .io(path, "cannot read the file") }
        return try decode([UInt8](data), path: path)
    }

    /// Writes atomically: temporary file, fsync, rename.
    public static func write(_ model: TrainyardModel, to path: String) throws(ModelFileError) {
        let bytes = try encode(model)
        do throws(AtomicFile.WriteError) {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw .io(path, error.reason)
        }
    }
}

/// Why a model file could not be written or loaded.
public enum ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case notAModel(String)
    case unsupportedVersion(String, found: Int, supported: Int)
    case truncated(String, expected: Int, found: Int)
    case checksumMismatch(String, expected: String, actual: String)
    case decoding(String, String)
    /// The file decodes but the model inside cannot be used (see ``TrainyardModel/validate()``).
    case invalid(String, ModelValidationError)
    case encoding(String)
    case io(String, String)

    public var description: String {
        switch self {
        case .notAModel(let path): "\(path) is not a Trainyard model file (no 'trainyard-model' header)"
        case .unsupportedVersion(let path, let found, let supported):
            "\(path) uses model format \(found); this build reads formats 1 to \(supported) (a newer Trainyard wrote it: upgrade this one)"
        case .truncated(let path, let expected, let found):
            "\(path) is truncated: the header announces \(expected) bytes, the file has \(found)"
        case .checksumMismatch(let path, let expected, let actual):
            "\(path) is corrupt: SHA-256 is \(actual.prefix(12))…, the header says \(expected.prefix(12))…"
        case .decoding(let path, let detail): "\(path): the model body cannot be decoded: \(detail)"
        case .invalid(let path, let problem): "\(path) holds an invalid model: \(problem)"
        case .encoding(let detail): "the model cannot be encoded: \(detail)"
        case .io(let path, let detail): "\(path): \(detail)"
        }
    }
}

extension Digest {
    /// Lower-case hex.
    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0x0f)]
                }
                return bytes.count * 2
            }
        }
    }
}
