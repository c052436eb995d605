import Foundation
import Hummingbird
import Logging
@testable import Serving
import Testing
import Yams

struct ReplicaAPIDocumentTests {
    /// Every route the replica's router serves is in docs/openapi/replica.yaml, and vice versa.
    @Test func theOpenAPIDocumentDescribesEveryRoute() throws {
        var settings = ReplicaSettings()
        settings.logPath = nil
        let replica = try Replica(source: .file(path: "/nonexistent/model", name: "churn"), settings: settings,
                                  logger: Logger(label: "replica-api-test"))
        let router = Router()
        ReplicaRoutes(replica: replica).add(to: router)
        let served = Set(router.routes.map { "\($0.method) \($0.path)" })
        #expect(served.contains("POST /v2/models/{name}/infer"), "\(served.sorted())")

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi/replica.yaml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.keys where method != "parameters" { documented.insert("\(method.uppercased()) \(path)") }
        }
        #expect(documented == served, "documented only: \(documented.subtracting(served).sorted()); served only: \(served.subtracting(documented).sorted())")
    }
}
