import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Key files as `trainyard keys generate` writes them: `PREFIX.key` holds the secret key and
/// `PREFIX.pub` the public key, each one line of Z85 after optional `#` comment lines. A
/// secret key file is created with mode 0600 and refused when group or others can read it.
public enum CurveKeyFile {
    /// Writes a new key pair to `prefix.key` (mode 0600) and `prefix.pub`; refuses to
    /// overwrite either file. Returns the public key.
    @discardableResult
    public static func generate(prefix: String) throws(CurveKeyError) -> CurveKey {
        let pair = try CurveKey.generatePair()
        let secretPath = prefix + ".key", publicPath = prefix + ".pub"
        for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw .file(path: path, "already exists; remove it or choose another --out")
        }
        try write("# trainyard CURVE secret key: keep private\n\(pair.secret.z85)\n", to: secretPath, mode: 0o600)
        try write("# trainyard CURVE public key\n\(pair.public.z85)\n", to: publicPath, mode: 0o644)
        return pair.public
    }

    /// Reads the one key in `path`. With `secret`, the file must not be readable by group or others.
    public static func read(_ path: String, secret: Bool = false) throws(CurveKeyError) -> CurveKey {
        if secret {
            var info = stat()
            guard stat(path, &info) == 0 else { throw .file(path: path, "cannot read: \(String(cString: strerror(errno)))") }
            guard info.st_mode & 0o077 == 0 else {
                throw .file(path: path, "a secret key must not be readable by group or others (chmod 600 \(path))")
            }
        }
        let keys = try readAll(path)
        guard keys.count == 1 else { throw .file(path: path, "holds \(keys.count) keys; expected one") }
        return keys[0]
    }

    /// Every key in `path`, one per non-comment line (a `.pub` file, or an allowlist file).
    public static func readAll(_ path: String) throws(CurveKeyError) -> [CurveKey] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .file(path: path, "cannot read: \(error.localizedDescription)")
        }
        var keys: [CurveKey] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do { keys.append(try CurveKey(z85: trimmed)) } catch {
                throw .file(path: path, "line \(number + 1): \(error)")
            }
        }
        return keys
    }

    private static func write(_ text: String, to path: String, mode: mode_t) throws(CurveKeyError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .file(path: path, "cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // The umask may have cleared bits of `mode`; never added any, but set it exactly.
        _ = fchmod(fd, mode)
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count, fsync(fd) == 0 else {
            throw .file(path: path, "cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
