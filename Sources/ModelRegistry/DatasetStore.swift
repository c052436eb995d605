import Crypto
import Foundation
import GRDB
import TrainyardML

/// The registry's dataset store (the object store of a training platform): CSV files
/// content-addressed by SHA-256 in the registry's blob directory, versioned per name in
/// `DIR/datasets.sqlite`, each version with its schema and data-quality profile.
///
/// An upload is streamed to a temporary file (``ArtifactUpload``), read once to check that it
/// parses (a malformed row is refused naming its line) and to profile it, moved into place, and
/// only then committed; the same content uploaded again under a name returns that version and
/// makes no new one. Every download re-hashes the file against its recorded SHA-256.
public final class DatasetStore: Sendable {
    public let directory: String
    private let database: DatabasePool

    /// Opens (creating if needed) the dataset store of the registry in `directory`.
    public init(directory: String) throws(RegistryError) {
        self.directory = directory
        do {
            database = try RegistryStore.openDatabase(directory + "/datasets.sqlite")
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE dataset_version (name TEXT NOT NULL, version INTEGER NOT NULL, sha256 TEXT NOT NULL,
                                                  info TEXT NOT NULL, PRIMARY KEY (name, version));
                    CREATE INDEX dataset_version_sha ON dataset_version (name, sha256);
                    """)
            }
            try migrator.migrate(database)
        } catch {
            throw .storage("cannot open the dataset store in \(directory): \(error)")
        }
    }

    /// Where uploads are streamed before they are checked (beside the blobs, so they are renamed into place).
    public var uploadDirectory: String { directory + "/blobs/sha256" }

    /// Where the file with this SHA-256 lives (the registry's blob store).
    public func blobPath(_ sha256: String) -> String { RegistryStore.blobPath(sha256, in: directory) }

    /// Adds `upload` as the next version of `name`, or returns the version that already has this
    /// content (`created` false). A file that does not parse as CSV is refused naming the line and
    /// column; the upload's temporary file is removed either way.
    public func add(name: String, upload: ArtifactUpload, filename: String? = nil,
                    actor: String? = nil) throws(RegistryError) -> (version: DatasetVersion, created: Bool) {
        defer { upload.discard() }
        try ModelName.validate(name, kind: "dataset name")
        if let existing = try read({ db in
            try String.fetchOne(db, sql: "SELECT info FROM dataset_version WHERE name = ? AND sha256 = ? ORDER BY version LIMIT 1",
                                arguments: [name, upload.sha256]).map(Self.decode)
        }) {
            return (existing, false)
        }
        let table: TrainyardML.Table
        do throws(DatasetError) {
            table = try CSVReader.read(path: upload.path, options: CSVOptions())
        } catch {
            throw .invalidRequest("the dataset is not a readable CSV file: \(error.description.replacingOccurrences(of: upload.path, with: filename ?? "the upload"))")
        }
        let path = blobPath(upload.sha256)
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            } catch { throw .storage("cannot create the blob directory: \(error)") }
            guard link(upload.path, path) == 0 || errno == EEXIST else {
                throw .storage("cannot move the upload into place: \(String(cString: strerror(errno)))")
            }
        }
        var version = DatasetVersion(
            name: name, version: 0, sha256: upload.sha256, bytes: upload.bytes, rows: table.rows,
            columns: zip(table.names, table.columns).map { DatasetVersion.Column(name: $0, kind: $1.kind) },
            profile: DataProfile.profile(table), createdAt: Date().timeIntervalSince1970, filename: filename, actor: actor)
        let committed = try write { db -> DatasetVersion in
            let last = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM dataset_version WHERE name = ?", arguments: [name]) ?? 0
            version.version = last + 1
            try db.execute(sql: "INSERT INTO dataset_version (name, version, sha256, info) VALUES (?, ?, ?, ?)",
                           arguments: [name, version.version, version.sha256, try Self.json(version)])
            return version
        }
        return (committed, true)
    }

    /// Every dataset with its versions, by name.
    public func datasets() throws(RegistryError) -> [RegisteredDataset] {
        let versions = try read { db in
            try String.fetchAll(db, sql: "SELECT info FROM dataset_version ORDER BY name, version DESC").map(Self.decode)
        }
        return Dictionary(grouping: versions, by: \.name).map { RegisteredDataset(name: $0.key, versions: $0.value) }
            .sorted { $0.name < $1.name }
    }

    /// `name`'s versions, newest first.
    public func dataset(_ name: String) throws(RegistryError) -> RegisteredDataset {
        try ModelName.validate(name, kind: "dataset name")
        let versions = try read { db in
            try String.fetchAll(db, sql: "SELECT info FROM dataset_version WHERE name = ? ORDER BY version DESC", arguments: [name])
                .map(Self.decode)
        }
        guard !versions.isEmpty else { throw .datasetNotFound(name) }
        return RegisteredDataset(name: name, versions: versions)
    }

    /// The version `reference` names (the latest without a version).
    public func version(_ reference: DatasetReference) throws(RegistryError) -> DatasetVersion {
        let all = try dataset(reference.name).versions
        guard let number = reference.version else { return all[0] }
        guard let version = all.first(where: { $0.version == number }) else {
            throw .datasetVersionNotFound(reference.name, number)
        }
        return version
    }

    /// The file of `reference`, checked against its recorded SHA-256.
    public func content(_ reference: DatasetReference) throws(RegistryError) -> (version: DatasetVersion, bytes: [UInt8]) {
        let version = try version(reference)
        guard let data = FileManager.default.contents(atPath: blobPath(version.sha256)) else {
            throw .storage("the file of dataset \(version.reference) is missing from \(directory)/blobs")
        }
        let bytes = [UInt8](data)
        let actual = SHA256.hash(data: bytes).hex
        guard actual == version.sha256 else {
            throw .storage("the stored file of dataset \(version.reference) is corrupt: SHA-256 \(actual.prefix(12))…, recorded \(version.sha256.prefix(12))…")
        }
        return (version, bytes)
    }

    private func read<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        do { return try database.read(body) } catch { throw RegistryStore.wrap(error) }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        do { return try database.write(body) } catch { throw RegistryStore.wrap(error) }
    }

    private static func decode(_ info: String) throws -> DatasetVersion {
        try JSONDecoder().decode(DatasetVersion.self, from: Data(info.utf8))
    }

    private static func json(_ version: DatasetVersion) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(version), as: UTF8.self)
    }
}
