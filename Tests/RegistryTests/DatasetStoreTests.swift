import Crypto
import Foundation
@testable import ModelRegistry
import Testing
import TrainyardML

/// The dataset store: versions by content, schema and profile at upload, bad files refused
/// naming the line, downloads checked against the recorded SHA-256.
struct DatasetStoreTests {
    /// `text` as an upload waiting in the store's upload directory, as the HTTP route leaves it.
    func upload(_ text: String, to store: DatasetStore) throws -> ArtifactUpload {
        let bytes = Array(text.utf8)
        let path = store.uploadDirectory + "/.upload.tmp-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return ArtifactUpload(path: path, sha256: SHA256.hash(data: bytes).hex, bytes: bytes.count)
    }

    @Test func uploadsAreVersionedByContentWithTheirSchemaAndProfile() throws {
        let directory = temporaryDirectory("datasets")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory).datasets
        let first = "plan,charges,churned\nbasic,20.5,0\npro,,1\nbasic,31,0\n"
        let (v1, created1) = try store.add(name: "churn", upload: try upload(first, to: store), filename: "churn.csv", actor: "ci")
        #expect(created1 && v1.version == 1 && v1.rows == 3 && v1.filename == "churn.csv" && v1.actor == "ci")
        #expect(v1.columns == [.init(name: "plan", kind: .categorical), .init(name: "charges", kind: .numeric),
                               .init(name: "churned", kind: .numeric)])
        #expect(v1.profile.columns[1].missing == 1 && v1.profile.rows == 3)
        // The same content again is the same version; new content is the next one.
        let (again, created2) = try store.add(name: "churn", upload: try upload(first, to: store))
        #expect(!created2 && again == v1)
        let (v2, _) = try store.add(name: "churn", upload: try upload(first + "pro,50,1\n", to: store))
        #expect(v2.version == 2 && v2.rows == 4)
        #expect(try store.version(DatasetReference(name: "churn")) == v2)
        #expect(try store.version(DatasetReference(parsing: "churn@1")) == v1)
        #expect(try store.datasets().map(\.name) == ["churn"] && store.dataset("churn").versions.map(\.version) == [2, 1])
        let (version, bytes) = try store.content(DatasetReference(name: "churn", version: 1))
        #expect(version == v1 && bytes == Array(first.utf8))
        // Temporary upload files are gone; the blob is stored once.
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: store.uploadDirectory).filter { $0.contains(".upload.tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func badFilesNamesAndVersionsAreRefusedAndCorruptionIsCaught() throws {
        let directory = temporaryDirectory("datasets")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory).datasets
        #expect(throws: RegistryError.self) { try store.add(name: "bad", upload: try upload("a,b\n1,2\n3\n", to: store), filename: "bad.csv") }
        do { _ = try store.add(name: "bad", upload: try upload("a,b\n1,2\n3\n", to: store), filename: "bad.csv") } catch {
            #expect("\(error)".contains("bad.csv:3: expected 2 fields"), "\(error)")
        }
        #expect(throws: RegistryError.invalidName("../etc", kind: "dataset name")) {
            try store.add(name: "../etc", upload: try upload("a\n1\n", to: store))
        }
        #expect(throws: RegistryError.datasetNotFound("bad")) { try store.dataset("bad") }
        let (v1, _) = try store.add(name: "ok", upload: try upload("a\n1\n", to: store))
        #expect(throws: RegistryError.datasetVersionNotFound("ok", 9)) { try store.version(DatasetReference(name: "ok", version: 9)) }
        #expect(throws: RegistryError.self) { try DatasetReference(parsing: "ok@0") }
        // A stored file that changed on disk is refused, not served.
        try Data("a\n2\n".utf8).write(to: URL(fileURLWithPath: store.blobPath(v1.sha256)))
        do {
            _ = try store.content(DatasetReference(name: "ok"))
            Issue.record("a corrupt file was served")
        } catch {
            #expect("\(error)".contains("is corrupt"), "\(error)")
        }
    }
}
