import Foundation
import ZeroMQ

/// The worker (and client) public keys a CURVE coordinator admits, read from
/// `--curve-allow` paths: a directory contributes every `*.pub` file in it, a file every
/// key in it (one Z85 key per line, `#` comments).
public struct CurveAllowlist: Sendable, Equatable {
    public let keys: Set<CurveKey>

    public init(keys: Set<CurveKey>) { self.keys = keys }

    /// Reads `paths`; throws naming the path that is missing, unreadable or holds no key.
    public init(paths: [String]) throws(CurveKeyError) {
        var keys: Set<CurveKey> = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw .file(path: path, "does not exist (--curve-allow takes a directory of .pub files or a file of keys)")
            }
            if isDirectory.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".pub") }.sorted()
                guard !names.isEmpty else { throw .file(path: path, "holds no .pub files") }
                for name in names { keys.formUnion(try CurveKeyFile.readAll(path + "/" + name)) }
            } else {
                let found = try CurveKeyFile.readAll(path)
                guard !found.isEmpty else { throw .file(path: path, "holds no keys") }
                keys.formUnion(found)
            }
        }
        self.keys = keys
    }

    public func allows(_ key: CurveKey) -> Bool { keys.contains(key) }
}
