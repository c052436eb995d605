import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import TestSupport
import TrainyardML

/// Real `trainyard` processes for serving tests: a registry, replicas and a proxy on
/// loopback, a churn dataset and models trained by the CLI. Everything is killed and
/// removed by ``stop()``.
final class ServingStack: @unchecked Sendable {
    let directory: URL
    let basePort: Int
    private(set) var processes: [String: TrainyardProcess] = [:]

    /// One complete churn record as a `/predict` body (every feature the trained models read).
    static let churnRecord = "{\"tenure_months\":11,\"monthly_charges\":88.77,\"total_charges\":975.07,\"contract\":\"one-year\",\"payment_method\":\"credit-card\",\"internet_service\":\"fiber\",\"support_calls\":5,\"age\":33,\"senior\":0,\"region\":\"north\"}"

    init(basePort: Int) throws {
        self.basePort = basePort
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("serving-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    var registryURL: String { "http://127.0.0.1:\(basePort)" }
    func replicaURL(_ index: Int) -> String { "http://127.0.0.1:\(basePort + 1 + index)" }
    var proxyURL: String { "http://127.0.0.1:\(basePort + 9)" }

    /// Runs a short-lived `trainyard` command to completion; returns its standard output.
    @discardableResult
    func run(_ arguments: [String]) async throws -> String {
        let process = try TrainyardProcess(arguments)
        guard let status = await process.waitForExit(timeout: .seconds(120)) else {
            process.stop()
            throw StackError("trainyard \(arguments.joined(separator: " ")) did not finish")
        }
        let output = process.output()
        let log = process.log
        process.stop()
        guard status == 0 else { throw StackError("trainyard \(arguments.joined(separator: " ")) failed (\(status)): \(log)") }
        return output
    }

    /// A churn CSV and two models trained on it (different tree counts), written by the CLI.
    func trainModels(rows: Int = 600) async throws {
        try await run(["data", "synth", "--rows", "\(rows)", "--seed", "11", "--out", path("churn.csv")])
        try await run(["train", "--data", path("churn.csv"), "--label", "churned", "--n-trees", "20", "--out", path("v1.model")])
        try await run(["train", "--data", path("churn.csv"), "--label", "churned", "--n-trees", "40", "--out", path("v2.model")])
    }

    /// Starts a long-running process and waits until its standard error has `ready` (if given).
    func start(_ key: String, _ arguments: [String], ready: String? = nil) async throws {
        let process = try TrainyardProcess(arguments)
        processes[key] = process
        try await waitUntil("\(key) to start") { ready.map { process.log.contains($0) } ?? true || !process.isRunning }
        guard process.isRunning else { throw StackError("\(key) exited: \(process.log)") }
    }

    func startRegistry() async throws {
        try await start("registry", ["registry", "--data-dir", path("registry"), "--listen", "127.0.0.1:\(basePort)"], ready: "registry listening")
    }

    func startReplica(_ index: Int, extra: [String] = []) async throws {
        try await start("replica\(index)", ["serve", "--registry", registryURL, "--model", "churn", "--listen", "127.0.0.1:\(basePort + 1 + index)",
                                            "--log", path("predictions-\(index).sqlite"), "--poll-interval", "100ms"] + extra,
                        ready: "replica listening")
        try await waitUntil("replica \(index) to load its model", timeout: .seconds(90)) {
            (try? await self.get(self.replicaURL(index) + "/v2/health/ready").status) == 200
        }
    }

    func startProxy(replicas: [Int], extra: [String] = []) async throws {
        try await start("proxy", ["proxy", "--listen", "127.0.0.1:\(basePort + 9)", "--health-interval", "100ms"]
                            + replicas.flatMap { ["--backend", replicaURL($0)] } + extra, ready: "proxy listening")
    }

    /// Publishes, approves and promotes a model file as `churn`'s production version.
    func publishAndPromote(_ file: String) async throws {
        let output = try await run(["models", "publish", "churn", "--file", path(file), "--registry", registryURL, "--json"])
        let version = try JSONDecoder().decode(Published.self, from: Data(output.utf8)).version
        try await run(["models", "approve", "churn", "\(version)", "--registry", registryURL])
        try await run(["models", "promote", "churn", "\(version)", "--registry", registryURL])
    }

    struct Published: Decodable { var version: Int }

    func process(_ key: String) -> TrainyardProcess? { processes[key] }

    func stop() {
        for process in processes.values { process.stop() }
        processes = [:]
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: HTTP

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    }

    func get(_ url: String, headers: [String: String] = [:]) async throws -> Reply {
        try await Self.send(Self.request(url, headers: headers))
    }

    func post(_ url: String, _ body: String, headers: [String: String] = [:], timeout: Duration = .seconds(30)) async throws -> Reply {
        try await Self.send(Self.request(url, body: body, headers: headers), timeout: timeout)
    }

    /// A `GET`, or with a body a `POST` (JSON unless `headers` name another `Content-Type`), checking an `https://`
    /// server's certificate against `tls` when given.
    static func request(_ url: String, body: String? = nil, headers: [String: String] = [:], tls: TLSConfiguration? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.tlsConfiguration = tls
        if let body {
            request.method = .POST
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
            request.body = .bytes(ByteBuffer(string: body))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// Sends `request` with the shared client (trusting the system's CAs unless the request carries its own TLS configuration) and collects the whole answer.
    static func send(_ request: HTTPClientRequest, timeout: Duration = .seconds(30)) async throws -> Reply {
        let response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
        let body = String(buffer: try await response.body.collect(upTo: 64 << 20))
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: headers, body: body)
    }
}

/// Polls `condition` every 50 ms until it holds; throws after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw StackError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

struct StackError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
