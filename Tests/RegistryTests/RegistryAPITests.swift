import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import ModelRegistry
import Testing
import Yams

struct RegistryAPITests {
    func withRegistry(_ body: @Sendable (RegistryClient, RegistryStore) async throws -> Void) async throws {
        let directory = temporaryDirectory("registry-api")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try RegistryStore(directory: directory)
        let router = Router()
        RegistryRoutes.add(to: router, store: store)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(RegistryClient(baseURL: "http://127.0.0.1:\(client.port!)"), store)
        }
    }

    @Test func publishPromoteDownloadAndRollBackOverHTTP() async throws {
        let first = try churnArtifact(trees: 2)
        let second = try churnArtifact(trees: 4)
        try await withRegistry { client, _ in
            #expect(try await client.publish(name: "churn", artifact: first, description: "first one").version == 1)
            #expect(try await client.publish(name: "churn", artifact: second).version == 2)
            _ = try await client.setStatus("churn", 1, .approved)
            _ = try await client.setStatus("churn", 2, .approved)
            _ = try await client.promote("churn", alias: "production", to: 1)
            _ = try await client.promote("churn", alias: "production", to: 2, reason: "better auc")
            let download = try await client.download("churn", alias: "production")
            #expect(download.version == 2 && download.bytes == second)
            #expect(try await client.rollback("churn", alias: "production").version == 1)
            #expect(try await client.download("churn", alias: "production").bytes == first)
            let models = try await client.models()
            #expect(models.map(\.name) == ["churn"] && models[0].aliases == ["production": 1])
            #expect(try await client.audit("churn").last?.action == "rollback")
        }
    }

    @Test func errorsComeBackWithTheirStatusAndMessage() async throws {
        let artifact = try churnArtifact(trees: 1)
        try await withRegistry { client, store in
            await #expect(throws: RegistryError.remote(status: 404, message: "no model named 'ghost' in the registry")) {
                try await client.model("ghost")
            }
            await #expect(throws: RegistryError.remote(status: 400, message: "the uploaded artifact is not a valid Trainyard model file: upload is not a Trainyard model file (no 'trainyard-model' header)")) {
                try await client.publish(name: "churn", artifact: Array("hello".utf8))
            }
            let version = try await client.publish(name: "churn", artifact: artifact)
            await #expect(throws: RegistryError.remote(status: 409, message: RegistryError.notApproved("churn", version: 1, status: .pending).description)) {
                try await client.promote("churn", alias: "production", to: 1)
            }
            // A corrupted blob: the server refuses to serve it (500, naming the corruption).
            let path = store.blobPath(version.sha256)
            var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
            bytes[bytes.count - 5] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                _ = try await client.download("churn", version: 1)
                Issue.record("a corrupted artifact was served")
            } catch let RegistryError.remote(status, message) {
                #expect(status == 500 && message.contains("corrupt"))
            }
        }
    }

    @Test func rawPathTraversalAttemptsAreRefused() async throws {
        try await withRegistry { client, _ in
            for path in ["/api/v1/models/..%2F..%2Fetc", "/api/v1/models/%2e%2e", "/api/v1/models/a%20b/versions/1",
                         "/api/v1/models/churn/versions/..%2F..%2Fregistry.sqlite/artifact"] {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: client.baseURL + path), timeout: .seconds(10))
                let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                #expect(response.status.code == 400 || response.status.code == 404, "\(path) answered \(response.status.code)")
                #expect(!body.contains("root:") && !body.contains("SQLite"))
            }
        }
    }

    /// Every route the router serves is in docs/openapi/registry.yaml, and vice versa.
    @Test func theOpenAPIDocumentDescribesEveryRoute() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi/registry.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths { for method in operations.keys where method != "parameters" { documented.insert("\(method.uppercased()) \(path)") } }
        let directory = temporaryDirectory("registry-openapi")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let router = Router()
        RegistryRoutes.add(to: router, store: try RegistryStore(directory: directory))
        let served = Set(router.routes.map { "\($0.method) \($0.path)" })
        #expect(served.contains("PUT /api/v1/models/{name}/aliases/{alias}"), "\(served.sorted())")
        #expect(documented == served, "documented only: \(documented.subtracting(served).sorted()); served only: \(served.subtracting(documented).sorted())")
    }
}
