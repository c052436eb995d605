import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing

/// The registry's and the replica's HTTP APIs against their documents, docs/openapi/registry.yaml and
/// replica.yaml, as real processes (ports 57460–57479): one error body, `{"error": "message"}`, on every route
/// family, and schemathesis finding no server error and no response outside the documents.
@Suite(.serialized)
struct OpenAPIConformanceTests {
    static let documents = ["docs/openapi/registry.yaml", "docs/openapi/replica.yaml"]

    @Test(.enabled(if: OpenAPITools.available, OpenAPITools.skipReason))
    func theDocumentsAreValidOpenAPI3() async throws {
        for document in Self.documents {
            // Not the blocking `run`: a validator taking half a minute on a loaded machine would hold one of the
            // test process's few cooperative threads, and timing tests running beside it would starve.
            let result = try await OpenAPITools.runAsync("openapi-spec-validator", [document], timeout: .seconds(180))
            #expect(result.status == 0, "\(document): \(result.output)")
        }
    }

    @Test func registryRouteFamiliesAnswerErrorsAsOneStringField() async throws {
        let stack = try ServingStack(basePort: 57460)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.start("registry", ["registry", "--data-dir", stack.path("registry"), "--listen", "127.0.0.1:57460",
                                           "--max-artifact-bytes", "1000000"], ready: "registry listening")
        try await stack.publishAndPromote("v1.model")
        let api = stack.registryURL + "/api/v1/models"
        let cases: [(family: String, method: String, url: String, body: [UInt8]?, status: Int)] = [
            ("routing: unknown path", "GET", stack.registryURL + "/api/v2/models", nil, 404),
            ("routing: unrouted method", "DELETE", api + "/churn", nil, 404),
            ("health: unrouted method", "POST", stack.registryURL + "/health", nil, 404),
            ("models: invalid name", "GET", api + "/-churn", nil, 400),
            ("models: unknown model", "GET", api + "/ghost", nil, 404),
            ("audit: unknown model", "GET", api + "/ghost/audit", nil, 404),
            ("versions: not a number", "GET", api + "/churn/versions/one", nil, 400),
            ("versions: zero", "GET", api + "/churn/versions/0", nil, 400),
            ("versions: past Int64", "GET", api + "/churn/versions/99999999999999999999", nil, 400),
            ("versions: unknown version", "GET", api + "/churn/versions/9", nil, 404),
            ("artifact: bad version", "GET", api + "/churn/versions/-1/artifact", nil, 400),
            ("artifact: unknown alias", "GET", api + "/churn/aliases/staging/artifact", nil, 404),
            ("publish: not a model file", "POST", api + "/churn/versions", Array("hello".utf8), 400),
            ("publish: over --max-artifact-bytes", "POST", api + "/churn/versions", [UInt8](repeating: 7, count: 1_500_000), 413),
            ("status: malformed body", "PUT", api + "/churn/versions/1/status", Array("{\"status\":\"maybe\"}".utf8), 400),
            ("status: bad version", "PUT", api + "/churn/versions/x/status", Array("{\"status\":\"approved\"}".utf8), 400),
            ("status: rejecting the production version", "PUT", api + "/churn/versions/1/status", Array("{\"status\":\"rejected\"}".utf8), 409),
            ("aliases: unknown alias", "GET", api + "/churn/aliases/staging", nil, 404),
            ("aliases: invalid alias", "GET", api + "/churn/aliases/-x", nil, 400),
            ("promote: malformed body", "PUT", api + "/churn/aliases/production", Array("[1]".utf8), 400),
            ("promote: unknown version", "PUT", api + "/churn/aliases/production", Array("{\"version\":7}".utf8), 404),
            ("rollback: nothing to roll back", "POST", api + "/churn/aliases/production/rollback", nil, 409),
        ]
        for item in cases {
            let reply = try await OpenAPITools.send(item.method, item.url, body: item.body)
            OpenAPITools.expectErrorBody(reply, status: item.status, item.family)
        }
    }

    @Test func replicaRouteFamiliesAnswerErrorsAsOneStringField() async throws {
        let stack = try ServingStack(basePort: 57465)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0, extra: ["--max-body-bytes", "100000"])
        let replica = stack.replicaURL(0)
        let tooLarge = [UInt8](repeating: UInt8(ascii: " "), count: 200_000)
        let cases: [(family: String, method: String, url: String, body: [UInt8]?, status: Int)] = [
            ("routing: unknown path", "GET", replica + "/v3", nil, 404),
            ("routing: unrouted method", "GET", replica + "/predict", nil, 404),
            ("routing: unrouted method on metrics", "DELETE", replica + "/metrics", nil, 404),
            ("predict: malformed JSON", "POST", replica + "/predict", Array("{\"tenure_months\": }".utf8), 400),
            ("predict: missing feature", "POST", replica + "/predict", Array("{\"tenure_months\": 3}".utf8), 400),
            ("predict: over --max-body-bytes", "POST", replica + "/predict", tooLarge, 413),
            ("invocations: two formats", "POST", replica + "/invocations", Array("{\"instances\": [], \"inputs\": []}".utf8), 400),
            ("v2 infer: another model", "POST", replica + "/v2/models/ghost/infer", Array("{\"inputs\": []}".utf8), 404),
            ("v2 infer: another version", "POST", replica + "/v2/models/churn/versions/9/infer", Array("{\"inputs\": []}".utf8), 404),
            ("v2 infer: wrong shape", "POST", replica + "/v2/models/churn/infer",
             Array("{\"inputs\": [{\"name\": \"age\", \"shape\": [2], \"datatype\": \"FP32\", \"data\": [1]}]}".utf8), 400),
            ("v2 metadata: another model", "GET", replica + "/v2/models/ghost", nil, 404),
            ("predictions: bad limit", "GET", replica + "/predictions?limit=0", nil, 400),
            ("predictions: bad since", "GET", replica + "/predictions/counts?since=yesterday", nil, 400),
        ]
        for item in cases {
            let reply = try await OpenAPITools.send(item.method, item.url, body: item.body)
            OpenAPITools.expectErrorBody(reply, status: item.status, item.family)
        }
        // Readiness answers {"ready": false}, not an error body: 404 for a model not served here.
        let ready = try await OpenAPITools.send("GET", replica + "/v2/models/ghost/ready", body: nil)
        #expect(ready.status == 404 && ready.body == "{\"ready\":false}", "\(ready.status) \(ready.body)")
    }

    /// schemathesis (all checks but `unsupported_method`, settings in docs/openapi/schemathesis.toml) against a
    /// registry holding an approved `churn` in production and a replica serving it, both documents at once for
    /// `TRAINYARD_SCHEMATHESIS_SECONDS` (default 45) each, seed `TRAINYARD_SCHEMATHESIS_SEED` (default 1).
    @Test(.enabled(if: OpenAPITools.available, OpenAPITools.skipReason))
    func schemathesisFindsNoServerErrorAndNoResponseOutsideTheDocuments() async throws {
        let stack = try ServingStack(basePort: 57470)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.run(["models", "publish", "churn", "--file", stack.path("v2.model"), "--registry", stack.registryURL])
        try await stack.startReplica(0)
        let environment = ProcessInfo.processInfo.environment
        let seconds = environment["TRAINYARD_SCHEMATHESIS_SECONDS"].flatMap { Int($0) } ?? 45
        let seed = environment["TRAINYARD_SCHEMATHESIS_SEED"] ?? "1"
        let runs = [("docs/openapi/registry.yaml", stack.registryURL), ("docs/openapi/replica.yaml", stack.replicaURL(0))]
        let results = try await withThrowingTaskGroup(of: (String, OpenAPITools.Result).self) { group in
            for (document, url) in runs {
                group.addTask {
                    let result = try await OpenAPITools.runAsync("schemathesis", [
                        "--config-file", "docs/openapi/schemathesis.toml", "--no-color", "run", document, "--url", url,
                        "--max-time", "\(seconds)", "--max-examples", "100", "--seed", seed, "--request-timeout", "10",
                        "--report", "junit", "--report-junit-path", stack.path("\(URL(fileURLWithPath: document).lastPathComponent).junit.xml"),
                    ], timeout: .seconds(seconds + 60))
                    return (document, result)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (document, url) in runs {
            let result = try #require(results[document])
            let summary = OpenAPITools.summary(result.output)
            print("schemathesis \(document) against \(url): \(summary)")
            #expect(result.status == 0, "schemathesis found problems in \(document) (exit \(result.status)):\n\(OpenAPITools.failures(result.output))")
            #expect(summary.firstMatch(of: /^([0-9]+) generated, \1 passed;/) != nil, "\(document): \(summary)")
        }
        for key in ["registry", "replica0"] {
            #expect(stack.process(key)?.isRunning == true, "\(key) died under schemathesis: \(stack.process(key)?.log ?? "")")
        }
    }
}

/// The `.venv` tools (`make test` installs them with pip) and HTTP helpers for the conformance tests.
enum OpenAPITools {
    static let bin = TrainyardProcess.packageRoot.appendingPathComponent(".venv/bin")
    static let available = ["schemathesis", "openapi-spec-validator"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent($0).path)
    }
    static let skipReason: Comment = "needs .venv with schemathesis and openapi-spec-validator (make test installs them with pip)"

    struct Result: Sendable {
        var status: Int32
        var output: String
    }

    /// Runs a `.venv/bin` tool in the package root to completion without blocking a thread, killed after
    /// `timeout`; output (standard output and error) goes to a file, not a pipe, so a chatty tool never blocks.
    static func runAsync(_ tool: String, _ arguments: [String], timeout: Duration) async throws -> Result {
        let (process, outputURL) = try start(tool, arguments)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return Result(status: -1, output: "timed out after \(timeout): " + ((try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return Result(status: process.terminationStatus, output: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "")
    }

    private static func start(_ tool: String, _ arguments: [String]) throws -> (Process, URL) {
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("\(tool)-\(UUID().uuidString.prefix(8)).out")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let process = Process()
        process.executableURL = bin.appendingPathComponent(tool)
        process.arguments = arguments
        process.currentDirectoryURL = TrainyardProcess.packageRoot
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        let handle = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, outputURL)
    }

    /// schemathesis's last line (`… 2413 passed …` or `… 3 failures …`) and its test-case count.
    static func summary(_ output: String) -> String {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let cases = lines.first { $0.firstMatch(of: /^[0-9]+ generated/) != nil } ?? "no test-case count"
        let last = lines.last { $0.hasPrefix("=") } ?? lines.last ?? "no output"
        return "\(cases); \(last.trimmingCharacters(in: CharacterSet(charactersIn: "= ")))"
    }

    /// The FAILURES section of schemathesis's output (the whole output if it has none), bounded.
    static func failures(_ output: String) -> String {
        let section = output.range(of: "FAILURES").map { String(output[$0.lowerBound...]) } ?? output
        return String(section.prefix(12_000))
    }

    struct Reply {
        var status: Int
        var contentType: String
        var body: String
    }

    static func send(_ method: String, _ url: String, body: [UInt8]?) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: url.hasSuffix("/versions") ? "application/octet-stream" : "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return Reply(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type") ?? "", body: text)
    }

    /// `reply` has `status` and a JSON body that is exactly `{"error": "<non-empty message>"}`.
    static func expectErrorBody(_ reply: Reply, status: Int, _ family: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(family): \(reply.status) \(reply.body)", sourceLocation: sourceLocation)
        #expect(reply.contentType.hasPrefix("application/json"), "\(family): content type '\(reply.contentType)'", sourceLocation: sourceLocation)
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any]
        let message = object?["error"] as? String
        #expect(object?.count == 1 && message?.isEmpty == false, "\(family): body is not {\"error\": \"…\"}: \(reply.body)",
                sourceLocation: sourceLocation)
    }
}
