import Foundation
import ModelRegistry
import Testing
import TrainyardML

/// A small trained churn model's file bytes; `trees` varies the bytes (and the SHA-256).
func churnArtifact(trees: Int = 3, rows: Int = 400) throws -> [UInt8] {
    let table = try CSVReader.read(bytes: Array(SyntheticChurn.csv(rows: rows, seed: 7).utf8), name: "churn.csv")
    var request = TrainingRequest(label: "churned")
    request.gbdt.trees = trees
    return try ModelFile.encode(TrainingPipeline.run(train: table, request: request).model)
}

func temporaryDirectory(_ prefix: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

struct RegistryStoreTests {
    @Test func publishNumbersVersionsAndStoresTheArtifactByItsSHA256() throws {
        let directory = temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory)
        let first = try churnArtifact(trees: 2)
        let second = try churnArtifact(trees: 3)
        let v1 = try store.publish(name: "churn", artifact: first, description: "baseline")
        let v2 = try store.publish(name: "churn", artifact: second)
        #expect(v1.version == 1 && v2.version == 2)
        #expect(v1.status == .pending && v1.estimator == "gbdt" && v1.objective == "binary:logistic")
        #expect(v1.metrics["train.auc"] != nil && v1.parameters["n_trees"] == "2" && v1.description == "baseline")
        #expect(FileManager.default.fileExists(atPath: store.blobPath(v1.sha256)))
        #expect(try store.artifact("churn", 1).bytes == first)
        #expect(try store.artifact("churn", 2).bytes == second)
        #expect(try store.model("churn").versions.map(\.version) == [2, 1])
        // Publishing the same bytes again makes a new version that shares the stored blob.
        let v3 = try store.publish(name: "churn", artifact: first)
        #expect(v3.version == 3 && v3.sha256 == v1.sha256)
    }

    @Test func garbageIsRefusedAsAnArtifactAndNothingIsStored() throws {
        let directory = temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory)
        #expect(throws: RegistryError.self) { try store.publish(name: "churn", artifact: Array("not a model".utf8)) }
        var truncated = try churnArtifact()
        truncated.removeLast(10)
        #expect(throws: RegistryError.self) { try store.publish(name: "churn", artifact: truncated) }
        #expect(try store.models().isEmpty)
    }

    @Test func aCorruptedArtifactIsDetectedOnLoad() throws {
        let directory = temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory)
        let version = try store.publish(name: "churn", artifact: try churnArtifact())
        let path = store.blobPath(version.sha256)
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            try store.artifact("churn", 1)
        } throws: { error in
            guard case .checksumMismatch(let name, let number, let expected, _) = error as? RegistryError else { return false }
            return name == "churn" && number == 1 && expected == version.sha256
        }
    }

    @Test(arguments: ["../etc", "a/b", "..", ".hidden", "", "x y", String(repeating: "a", count: 65), "name%2F", "-lead"])
    func pathTraversalAndInvalidNamesAreRefused(name: String) throws {
        let directory = temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory)
        let artifact = try churnArtifact(trees: 1)
        #expect(throws: RegistryError.invalidName(name, kind: "model name")) { try store.publish(name: name, artifact: artifact) }
        _ = try store.publish(name: "ok", artifact: artifact)
        #expect(throws: RegistryError.invalidName(name, kind: "alias")) { try store.promote("ok", alias: name, to: 1) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted().filter { !$0.hasPrefix("registry.sqlite") && !$0.hasPrefix("datasets.sqlite") } == ["blobs"])
    }

    @Test func promotionNeedsApprovalForProductionAndRollbackUndoesMovesInTurn() throws {
        let directory = temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory)
        let artifact = try churnArtifact(trees: 1)
        for _ in 1...3 { try store.publish(name: "churn", artifact: artifact) }
        #expect(throws: RegistryError.notApproved("churn", version: 1, status: .pending)) { try store.promote("churn", alias: "production", to: 1) }
        try store.promote("churn", alias: "staging", to: 1)
        #expect(try store.resolve("churn", alias: "staging").version == 1)
        #expect(throws: RegistryError.nothingToRollBack("churn", alias: "staging")) { try store.rollback("churn", alias: "staging") }
        for version in 1...3 { try store.setStatus("churn", version, .approved) }
        try store.promote("churn", alias: "production", to: 1)
        try store.promote("churn", alias: "production", to: 2)
        try store.promote("churn", alias: "production", to: 3)
        #expect(try store.resolve("churn", alias: "production").aliases == ["production"])
        #expect(try store.rollback("churn", alias: "production").version == 2)
        #expect(try store.rollback("churn", alias: "production").version == 1)
        #expect(throws: RegistryError.nothingToRollBack("churn", alias: "production")) { try store.rollback("churn", alias: "production") }
        try store.setStatus("churn", 3, .rejected, reason: "bad recall")
        #expect(throws: RegistryError.notApproved("churn", version: 3, status: .rejected)) { try store.promote("churn", alias: "staging", to: 3) }
        #expect(throws: RegistryError.versionNotFound("churn", 9)) { try store.promote("churn", alias: "staging", to: 9) }
        #expect(throws: RegistryError.aliasNotFound("churn", "canary")) { try store.resolve("churn", alias: "canary") }
        #expect(throws: RegistryError.modelNotFound("nope")) { try store.model("nope") }
        let trail = try store.audit("churn")
        #expect(trail.map(\.action) == ["publish", "publish", "publish", "promote", "approve", "approve", "approve",
                                         "promote", "promote", "promote", "rollback", "rollback", "reject"])
        let rollback = trail[10]
        #expect(rollback.alias == "production" && rollback.fromVersion == 3 && rollback.toVersion == 2)
        #expect(trail.last?.reason == "bad recall")
    }

    @Test func everyPathOntoAnAliasPassesTheSameGate() throws {
        let directory = temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory)
        let artifact = try churnArtifact(trees: 1)
        for _ in 1...2 { try store.publish(name: "churn", artifact: artifact) }
        // Spellings of production are production: none of them bypasses the approval gate.
        for spelling in ["Production", "PRODUCTION", "pRoDuCtIoN"] {
            #expect(throws: RegistryError.notApproved("churn", version: 1, status: .pending)) { try store.promote("churn", alias: spelling, to: 1) }
        }
        for version in 1...2 { try store.setStatus("churn", version, .approved) }
        try store.promote("churn", alias: "Production", to: 1)
        #expect(try store.resolve("churn", alias: "production").version == 1)
        #expect(try store.resolve("churn", alias: "PRODUCTION").aliases == ["production"])
        try store.promote("churn", alias: "production", to: 2)
        // The version in production can be neither rejected nor sent back to pending.
        #expect(throws: RegistryError.aliasHeld("churn", version: 2, alias: "production", status: .rejected)) {
            try store.setStatus("churn", 2, .rejected)
        }
        #expect(throws: RegistryError.aliasHeld("churn", version: 2, alias: "production", status: .pending)) {
            try store.setStatus("churn", 2, .pending)
        }
        // A rollback onto a version rejected since its promotion is refused, and the alias stays.
        try store.setStatus("churn", 1, .rejected, reason: "leaks the label")
        #expect(throws: RegistryError.notApproved("churn", version: 1, status: .rejected)) { try store.rollback("churn", alias: "production") }
        #expect(try store.resolve("churn", alias: "production").version == 2)
        // A staging alias takes pending versions but not rejected ones.
        try store.publish(name: "churn", artifact: artifact)
        try store.promote("churn", alias: "Staging", to: 3)
        #expect(throws: RegistryError.aliasHeld("churn", version: 3, alias: "staging", status: .rejected)) {
            try store.setStatus("churn", 3, .rejected)
        }
        try store.setStatus("churn", 3, .approved)
    }

    @Test func aModelFileWithAValidChecksumButABrokenTreeIsRefusedAtPublish() throws {
        let directory = temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory)
        var model = try ModelFile.decode(try churnArtifact(trees: 2), path: "m")
        guard case .gbdt(var trees) = model.estimator else { Issue.record("not a GBDT"); return }
        trees.trees[1].feature[0] = 9_999
        model.estimator = .gbdt(trees)
        #expect {
            try store.publish(name: "churn", artifact: try ModelFile.encode(model))
        } throws: { error in
            guard let error = error as? RegistryError, case .invalidArtifact(let detail) = error else { return false }
            return error.status == .badRequest && detail.contains("gbdt.trees[1]: node 0 splits on feature 9999")
        }
        #expect(try store.models().isEmpty)
    }

    @Test func concurrentPublishersOnTheSameDirectoryGetDistinctConsecutiveVersions() async throws {
        let directory = temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let artifacts = try (1...4).map { try churnArtifact(trees: $0, rows: 200) }
        // Four stores on one directory stand for four publisher processes (separate SQLite connections).
        let stores = try (0..<4).map { _ in try RegistryStore(directory: directory) }
        let published = try await withThrowingTaskGroup(of: [ModelVersion].self) { group in
            for (index, store) in stores.enumerated() {
                let artifact = artifacts[index]
                group.addTask { try (0..<10).map { _ in try store.publish(name: "churn", artifact: artifact) } }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(published.map(\.version).sorted() == Array(1...40))
        let store = try RegistryStore(directory: directory)
        for version in try store.model("churn").versions {
            let (_, bytes) = try store.artifact("churn", version.version)
            #expect(artifacts.contains(bytes))
        }
    }
}
