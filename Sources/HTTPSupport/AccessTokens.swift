import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The API tokens a server accepts: names, roles and the SHA-256 of each secret — never the secret itself. Read from
/// a JSON file (`--tokens FILE`, written by `trainyard tokens create`) or from the `TRAINYARD_TOKENS` environment
/// variable holding the same JSON. Clients send `Authorization: Bearer <token>`.
///
/// A token is `ty_` and 43 characters of base64url: 256 random bits. Since a secret of that entropy cannot be
/// guessed from its hash, a lookup by hash is as safe as a constant-time comparison and costs one SHA-256 per request.
public struct AccessTokens: Sendable, Codable, Equatable {
    /// One token's record.
    public struct Entry: Sendable, Codable, Equatable {
        public var name: String
        public var role: AccessRole
        /// Lower-case hex SHA-256 of the secret.
        public var sha256: String
        /// ISO 8601 time of creation.
        public var created: String
    }

    public private(set) var tokens: [Entry] {
        didSet { byHash = Self.index(tokens) }
    }
    /// Index into ``tokens`` by hash, built once per change rather than per request.
    private var byHash: [String: Int]

    private enum CodingKeys: String, CodingKey { case tokens }

    public init(tokens: [Entry] = []) {
        self.tokens = tokens
        byHash = Self.index(tokens)
    }

    public init(from decoder: any Decoder) throws {
        self.init(tokens: try decoder.container(keyedBy: CodingKeys.self).decode([Entry].self, forKey: .tokens))
    }

    private static func index(_ tokens: [Entry]) -> [String: Int] {
        Dictionary(tokens.enumerated().map { ($1.sha256, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Files

    /// Reads a token file; a missing file is an empty set (so `tokens create` can start one).
    public static func load(path: String) throws(AccessError) -> AccessTokens {
        guard FileManager.default.fileExists(atPath: path) else { return AccessTokens() }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path, "cannot read the file") }
        return try decode(data, origin: path)
    }

    /// The tokens a server is given: `path` if set, else the `TRAINYARD_TOKENS` environment variable's JSON, else nil
    /// (no tokens configured).
    public static func configured(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(AccessError) -> AccessTokens? {
        if let path {
            guard FileManager.default.fileExists(atPath: path) else { throw .unreadable(path, "no such file (create one with trainyard tokens create)") }
            let tokens = try load(path: path)
            guard !tokens.tokens.isEmpty else { throw .unreadable(path, "the file holds no tokens") }
            return tokens
        }
        if let json = environment["TRAINYARD_TOKENS"], !json.isEmpty {
            return try decode(Data(json.utf8), origin: "TRAINYARD_TOKENS")
        }
        return nil
    }

    static func decode(_ data: Data, origin: String) throws(AccessError) -> AccessTokens {
        do { return try JSONDecoder().decode(AccessTokens.self, from: data) } catch {
            throw .unreadable(origin, "not a token file: \(error)")
        }
    }

    /// Writes the file atomically, readable by its owner only (it holds no secrets, but names and roles are nobody
    /// else's business).
    public func save(path: String) throws(AccessError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let data = try encoder.encode(self)
            let temporary = path + ".tmp-\(UUID().uuidString)"
            guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw AccessError.unreadable(path, "cannot write \(temporary)")
            }
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw AccessError.unreadable(path, "cannot replace the file: \(String(cString: strerror(errno)))")
            }
        } catch let error as AccessError {
            throw error
        } catch {
            throw .unreadable(path, "cannot write the file: \(error)")
        }
    }

    // MARK: Tokens

    /// Adds a token named `name` with `role` and returns its secret, which is shown once and stored only as a hash.
    public mutating func create(name: String, role: AccessRole, now: Date = Date()) throws(AccessError) -> String {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw .invalidName(name)
        }
        guard !tokens.contains(where: { $0.name == name }) else { throw .duplicateName(name) }
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let secret = "ty_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        tokens.append(Entry(name: name, role: role, sha256: Self.hash(secret), created: ISO8601DateFormatter().string(from: now)))
        return secret
    }

    /// Removes the token named `name`.
    public mutating func revoke(name: String) throws(AccessError) {
        guard let index = tokens.firstIndex(where: { $0.name == name }) else { throw .unknownName(name) }
        tokens.remove(at: index)
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Checking requests

    /// The name of the token in `authorization` (an `Authorization` header value) if it holds at least `role`.
    /// - Throws: ``AccessError/unauthenticated(_:)`` (401) without a known bearer token,
    ///   ``AccessError/forbidden(name:role:needed:)`` (403) when its role is too low.
    public func authorize(_ authorization: String?, needs role: AccessRole) throws(AccessError) -> String {
        guard let authorization, authorization.count <= 512 else { throw .unauthenticated("this endpoint needs an API token (Authorization: Bearer …)") }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthenticated("the Authorization header must be 'Bearer <token>'")
        }
        guard let index = byHash[Self.hash(String(parts[1]).trimmingCharacters(in: .whitespaces))] else {
            throw .unauthenticated("the API token is not known to this server")
        }
        let entry = tokens[index]
        guard entry.role >= role else { throw .forbidden(name: entry.name, role: entry.role, needed: role) }
        return entry.name
    }
}

/// Why a token file could not be used or a request was refused.
public enum AccessError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String, String)
    case invalidName(String)
    case duplicateName(String)
    case unknownName(String)
    /// No valid token: answered 401 with `WWW-Authenticate: Bearer`.
    case unauthenticated(String)
    /// A valid token whose role is too low: answered 403.
    case forbidden(name: String, role: AccessRole, needed: AccessRole)

    public var description: String {
        switch self {
        case .unreadable(let origin, let detail): "\(origin): \(detail)"
        case .invalidName(let name): "invalid token name '\(name.prefix(64))': use 1–64 letters, digits, '-', '_' or '.'"
        case .duplicateName(let name): "a token named '\(name)' exists; revoke it first or pick another name"
        case .unknownName(let name): "no token named '\(name)'"
        case .unauthenticated(let detail): detail
        case .forbidden(let name, let role, let needed): "token '\(name)' has role \(role.rawValue); this needs \(needed.rawValue)"
        }
    }
}
