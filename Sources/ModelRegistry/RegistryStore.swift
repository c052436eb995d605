import Crypto
import Foundation
import GRDB
import TrainyardML

/// The model registry's storage: artifacts content-addressed by SHA-256 under
/// `DIR/blobs/sha256/ab/abcd…`, and models, versions, aliases and the audit trail in SQLite
/// (`DIR/registry.sqlite`, WAL, through GRDB).
///
/// Publishing writes the artifact first (temporary file, fsync, rename) and only then
/// commits the version row, in one write transaction that also numbers it, so a reader never
/// sees a version whose artifact is missing or partial, a killed publisher leaves no version
/// behind, and concurrent publishers — threads or processes sharing the directory — get
/// distinct, consecutive numbers. Every load re-hashes the artifact against its recorded
/// SHA-256.
public final class RegistryStore: Sendable {
    public let directory: String
    private let database: DatabasePool
    /// The datasets kept beside the models (same directory and blob store, own database).
    public let datasets: DatasetStore

    /// Opens (creating if needed) the registry in `directory`, with its dataset store.
    public init(directory: String) throws(RegistryError) {
        self.directory = directory
        datasets = try DatasetStore(directory: directory)
        do {
            database = try Self.openDatabase(directory + "/registry.sqlite")
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE model (name TEXT PRIMARY KEY, created_at REAL NOT NULL);
                    CREATE TABLE version (name TEXT NOT NULL REFERENCES model(name), version INTEGER NOT NULL,
                                          sha256 TEXT NOT NULL, info TEXT NOT NULL, status TEXT NOT NULL,
                                          PRIMARY KEY (name, version));
                    CREATE TABLE alias (name TEXT NOT NULL REFERENCES model(name), alias TEXT NOT NULL,
                                        version INTEGER NOT NULL, PRIMARY KEY (name, alias));
                    CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, name TEXT NOT NULL,
                                        action TEXT NOT NULL, alias TEXT, from_version INTEGER, to_version INTEGER, reason TEXT);
                    """)
            }
            migrator.registerMigration("v2: audit actor") { db in
                try db.execute(sql: "ALTER TABLE audit ADD COLUMN actor TEXT")
            }
            try migrator.migrate(database)
        } catch {
            throw .storage("cannot open \(directory): \(error)")
        }
        removeAbandonedTemporaryFiles()
    }

    // MARK: Publishing

    /// Stores `artifact` (model file bytes, verified by decoding) as the next version of `name`.
    @discardableResult
    public func publish(name: String, artifact: [UInt8], description: String? = nil, actor: String? = nil) throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        let model: TrainyardModel
        do { model = try ModelFile.decode(artifact, path: "upload") } catch { throw .invalidArtifact(error.description) }
        let digest = SHA256.hash(data: artifact).hex
        let path = blobPath(digest)
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try AtomicFile.write(artifact, to: path)
            } catch { throw .storage("cannot write the artifact: \(error)") }
        }
        return try commit(name: name, model: model, sha256: digest, bytes: artifact.count, description: description, actor: actor)
    }

    /// Numbers and records a version whose artifact is already stored.
    private func commit(name: String, model: TrainyardModel, sha256 digest: String, bytes: Int, description: String?,
                        actor: String?) throws(RegistryError) -> ModelVersion {
        let now = Date().timeIntervalSince1970
        var version = ModelVersion(
            name: name, version: 0, sha256: digest, bytes: bytes, status: .pending, createdAt: now,
            estimator: model.estimator.kind, objective: model.objective.name, metrics: model.training.metrics,
            parameters: model.training.parameters, datasetSHA256: model.training.datasetSHA256, jobID: model.training.jobID,
            description: description)
        return try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO model (name, created_at) VALUES (?, ?)", arguments: [name, now])
            let last = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM version WHERE name = ?", arguments: [name]) ?? 0
            version.version = last + 1
            try db.execute(sql: "INSERT INTO version (name, version, sha256, info, status) VALUES (?, ?, ?, ?, ?)",
                           arguments: [name, version.version, digest, try Self.json(version), version.status.rawValue])
            try Self.audit(db, name: name, action: "publish", alias: nil, from: nil, to: version.version, reason: description, actor: actor)
            return version
        }
    }

    /// Publishes a streamed upload (see ``ArtifactUpload``): decodes and validates it from a memory map, moves the
    /// file into the content-addressed store (or drops it if that content is already stored), then commits the
    /// version as ``publish(name:artifact:description:)`` does. A refused upload's file is removed.
    @discardableResult
    public func publish(name: String, upload: ArtifactUpload, description: String? = nil, actor: String? = nil) throws(RegistryError) -> ModelVersion {
        do throws(RegistryError) {
            try ModelName.validate(name)
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: upload.path), options: .alwaysMapped) } catch {
                throw RegistryError.storage("cannot read the upload: \(error)")
            }
            let model: TrainyardModel
            do throws(ModelFileError) { model = try ModelFile.decode(data, path: "upload") } catch {
                throw RegistryError.invalidArtifact(error.description)
            }
            let path = blobPath(upload.sha256)
            if FileManager.default.fileExists(atPath: path) {
                upload.discard()
            } else {
                do {
                    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                } catch { throw RegistryError.storage("cannot create the blob directory: \(error)") }
                guard rename(upload.path, path) == 0 else {
                    throw RegistryError.storage("cannot move the upload into place: \(String(cString: strerror(errno)))")
                }
            }
            return try commit(name: name, model: model, sha256: upload.sha256, bytes: upload.bytes, description: description, actor: actor)
        } catch {
            upload.discard()
            throw error
        }
    }

    /// Where uploads are streamed before they are published (the blob store's file system, so publishing is a rename).
    public var uploadDirectory: String { directory + "/blobs/sha256" }

    // MARK: Reading

    /// Every model, by name, with its versions newest first.
    public func models() throws(RegistryError) -> [RegisteredModel] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT name FROM model ORDER BY name").map { try Self.model(db, $0) }
        }
    }

    public func model(_ name: String) throws(RegistryError) -> RegisteredModel {
        try ModelName.validate(name)
        return try read { db in try Self.model(db, name) }
    }

    public func version(_ name: String, _ number: Int) throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        return try read { db in try Self.version(db, name, number) }
    }

    /// The version `alias` points at.
    public func resolve(_ name: String, alias: String) throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        let alias = try ModelName.canonicalAlias(alias)
        return try read { db in
            guard try Self.exists(db, name) else { throw RegistryError.modelNotFound(name) }
            guard let number = try Int.fetchOne(db, sql: "SELECT version FROM alias WHERE name = ? AND alias = ?", arguments: [name, alias])
            else { throw RegistryError.aliasNotFound(name, alias) }
            return try Self.version(db, name, number)
        }
    }

    /// The artifact's bytes, after checking them against the recorded SHA-256.
    public func artifact(_ name: String, _ number: Int) throws(RegistryError) -> (version: ModelVersion, bytes: [UInt8]) {
        let version = try version(name, number)
        guard let data = FileManager.default.contents(atPath: blobPath(version.sha256)) else {
            throw .storage("the artifact of \(name) version \(number) is missing from \(directory)/blobs")
        }
        let bytes = [UInt8](data)
        let actual = SHA256.hash(data: bytes).hex
        guard actual == version.sha256 else {
            throw .checksumMismatch(name: name, version: number, expected: version.sha256, actual: actual)
        }
        return (version, bytes)
    }

    /// The audit trail of `name`, oldest first.
    public func audit(_ name: String) throws(RegistryError) -> [AuditEntry] {
        try ModelName.validate(name)
        return try read { db in
            guard try Self.exists(db, name) else { throw RegistryError.modelNotFound(name) }
            return try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE name = ? ORDER BY id", arguments: [name]).map {
                AuditEntry(id: $0["id"], time: $0["time"], name: $0["name"], action: $0["action"], alias: $0["alias"],
                           fromVersion: $0["from_version"], toVersion: $0["to_version"], reason: $0["reason"], actor: $0["actor"])
            }
        }
    }

    // MARK: Approval and aliases

    /// Marks a version approved or rejected (or back to pending). A version an alias points
    /// at cannot be rejected, and the `production` version cannot lose its approval: the alias
    /// is moved first, so no alias ever points at a version its gate would refuse.
    @discardableResult
    public func setStatus(_ name: String, _ number: Int, _ status: ApprovalStatus, reason: String? = nil,
                          actor: String? = nil) throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        return try write { db in
            var version = try Self.version(db, name, number)
            if let alias = version.aliases.first(where: { !Self.admits($0, status) }) {
                throw RegistryError.aliasHeld(name, version: number, alias: alias, status: status)
            }
            version.status = status
            version.aliases = []
            try db.execute(sql: "UPDATE version SET info = ?, status = ? WHERE name = ? AND version = ?",
                           arguments: [try Self.json(version), status.rawValue, name, number])
            let action = switch status { case .approved: "approve"; case .rejected: "reject"; case .pending: "reset" }
            try Self.audit(db, name: name, action: action, alias: nil, from: nil, to: number, reason: reason, actor: actor)
            return try Self.version(db, name, number)
        }
    }

    /// Points `alias` at version `number`. `production` takes approved versions only; a
    /// rejected version takes no alias.
    @discardableResult
    public func promote(_ name: String, alias: String, to number: Int, reason: String? = nil, actor: String? = nil) throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        let alias = try ModelName.canonicalAlias(alias)
        return try write { db in
            let version = try Self.version(db, name, number)
            guard Self.admits(alias, version.status) else { throw RegistryError.notApproved(name, version: number, status: version.status) }
            let current = try Int.fetchOne(db, sql: "SELECT version FROM alias WHERE name = ? AND alias = ?", arguments: [name, alias])
            try db.execute(sql: "INSERT OR REPLACE INTO alias (name, alias, version) VALUES (?, ?, ?)", arguments: [name, alias, number])
            try Self.audit(db, name: name, action: "promote", alias: alias, from: current, to: number, reason: reason, actor: actor)
            return try Self.version(db, name, number)
        }
    }

    /// Moves `alias` back to the version it pointed at before its latest promotion — undoing
    /// promotions and rollbacks in turn, like an undo stack over the audit trail. The target
    /// passes the same gate as a promotion: a version rejected since is refused (409).
    @discardableResult
    public func rollback(_ name: String, alias: String, reason: String? = nil, actor: String? = nil) throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        let alias = try ModelName.canonicalAlias(alias)
        return try write { db in
            guard try Self.exists(db, name) else { throw RegistryError.modelNotFound(name) }
            guard let current = try Int.fetchOne(db, sql: "SELECT version FROM alias WHERE name = ? AND alias = ?", arguments: [name, alias])
            else { throw RegistryError.aliasNotFound(name, alias) }
            // Walk the alias's history back: each rollback cancels the promotion before it.
            let moves = try Row.fetchAll(db, sql: """
                SELECT action, from_version FROM audit WHERE name = ? AND alias = ? AND action IN ('promote', 'rollback') ORDER BY id DESC
                """, arguments: [name, alias])
            var pendingRollbacks = 0
            var target: Int?
            for move in moves {
                if (move["action"] as String) == "rollback" { pendingRollbacks += 1; continue }
                if pendingRollbacks > 0 { pendingRollbacks -= 1; continue }
                target = move["from_version"]
                break
            }
            guard let target else { throw RegistryError.nothingToRollBack(name, alias: alias) }
            let status = try Self.version(db, name, target).status
            guard Self.admits(alias, status) else { throw RegistryError.notApproved(name, version: target, status: status) }
            try db.execute(sql: "UPDATE alias SET version = ? WHERE name = ? AND alias = ?", arguments: [target, name, alias])
            try Self.audit(db, name: name, action: "rollback", alias: alias, from: current, to: target, reason: reason, actor: actor)
            return try Self.version(db, name, target)
        }
    }

    // MARK: Internals

    /// The gate every path onto an alias passes (promote, rollback, and a status change of a
    /// version that holds it): no alias takes a rejected version, `production` only an approved one.
    static func admits(_ alias: String, _ status: ApprovalStatus) -> Bool {
        status != .rejected && (alias != ModelName.production || status == .approved)
    }

    /// Where the artifact with this SHA-256 lives.
    public func blobPath(_ sha256: String) -> String { Self.blobPath(sha256, in: directory) }

    /// Where the file with this SHA-256 lives in the registry `directory` (models and datasets share the blobs).
    static func blobPath(_ sha256: String, in directory: String) -> String {
        "\(directory)/blobs/sha256/\(sha256.prefix(2))/\(sha256)"
    }

    /// A WAL database at `path` in a registry directory (whose blob directory it creates) that waits up to
    /// 30 s for another writer: the registry's and the dataset store's.
    static func openDatabase(_ path: String) throws -> DatabasePool {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent + "/blobs/sha256",
                                                withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        return try DatabasePool(path: path, configuration: configuration)
    }

    private func read<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        do { return try database.read(body) } catch { throw Self.wrap(error) }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        do { return try database.write(body) } catch { throw Self.wrap(error) }
    }

    static func wrap(_ error: any Error) -> RegistryError {
        (error as? RegistryError) ?? .storage("\(error)")
    }

    private static func exists(_ db: Database, _ name: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM model WHERE name = ?)", arguments: [name]) ?? false
    }

    private static func model(_ db: Database, _ name: String) throws -> RegisteredModel {
        guard let created = try Double.fetchOne(db, sql: "SELECT created_at FROM model WHERE name = ?", arguments: [name]) else {
            throw RegistryError.modelNotFound(name)
        }
        let aliases = try aliases(db, name)
        let versions = try String.fetchAll(db, sql: "SELECT info FROM version WHERE name = ? ORDER BY version DESC", arguments: [name])
            .map { try decodeVersion($0, aliases: aliases) }
        return RegisteredModel(name: name, createdAt: created, aliases: aliases, versions: versions)
    }

    private static func version(_ db: Database, _ name: String, _ number: Int) throws -> ModelVersion {
        guard let info = try String.fetchOne(db, sql: "SELECT info FROM version WHERE name = ? AND version = ?", arguments: [name, number]) else {
            throw try exists(db, name) ? RegistryError.versionNotFound(name, number) : RegistryError.modelNotFound(name)
        }
        return try decodeVersion(info, aliases: try aliases(db, name))
    }

    private static func aliases(_ db: Database, _ name: String) throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT alias, version FROM alias WHERE name = ?", arguments: [name])
            .map { ($0["alias"] as String, $0["version"] as Int) })
    }

    private static func decodeVersion(_ info: String, aliases: [String: Int]) throws -> ModelVersion {
        var version = try JSONDecoder().decode(ModelVersion.self, from: Data(info.utf8))
        version.aliases = aliases.filter { $0.value == version.version }.map(\.key).sorted()
        return version
    }

    private static func json(_ version: ModelVersion) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(version), as: UTF8.self)
    }

    private static func audit(_ db: Database, name: String, action: String, alias: String?, from: Int?, to: Int?, reason: String?,
                              actor: String?) throws {
        try db.execute(sql: """
            INSERT INTO audit (time, name, action, alias, from_version, to_version, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [Date().timeIntervalSince1970, name, action, alias, from, to, reason, actor])
    }

    /// Temporary files of publishers killed mid-write (older than an hour, so a concurrent
    /// publisher's file in progress is left alone).
    private func removeAbandonedTemporaryFiles() {
        let root = directory + "/blobs/sha256"
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return }
        let cutoff = Date().addingTimeInterval(-3600)
        while let relative = enumerator.nextObject() as? String {
            let path = root + "/" + relative
            guard (relative as NSString).lastPathComponent.hasPrefix("."), relative.contains(".tmp-"),  // AtomicFile's and uploads'
                  let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date,
                  modified < cutoff else { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
