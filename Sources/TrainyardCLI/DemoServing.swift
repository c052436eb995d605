import AsyncHTTPClient
import Foundation
import LoadTesting
import ModelRegistry
import NIOCore
import TrainyardML

/// The serving half of `trainyard demo`: approve and promote the job's model, start two
/// replicas and the proxy as child processes, show a few predictions through the proxy, run
/// a short load test and check the prediction logs against it.
struct DemoServing {
    let registry: RegistryClient
    let basePort: Int
    let directory: URL
    let say: (String) -> Void

    private var replicaPorts: [Int] { [basePort + 1, basePort + 2] }
    private var proxyURL: String { "http://127.0.0.1:\(basePort + 10)" }

    /// Serves `name`@production (version `version`, promoted by its pipeline); `whileServing` runs
    /// after the first predictions, before the load test (new data arriving).
    func run(model name: String, version: Int, data: String, model: TrainyardModel,
             whileServing: () async throws -> Void = {}) async throws {
        var children: [Process] = []
        defer { Self.stop(children) }
        say("\n== two inference replicas serving \(name)@production, behind the round-robin proxy")
        for (index, port) in replicaPorts.enumerated() {
            children.append(try spawn(["serve", "--registry", registry.baseURL, "--model", name, "--listen", "127.0.0.1:\(port)",
                                       "--log", directory.appendingPathComponent("predictions-\(index + 1).sqlite").path,
                                       "--log-level", "warning"], log: "replica-\(index + 1).log"))
        }
        children.append(try spawn(["proxy", "--listen", "127.0.0.1:\(basePort + 10)", "--health-interval", "200ms", "--pipeline", "4",
                                   "--log-level", "warning"]
                                  + replicaPorts.flatMap { ["--backend", "http://127.0.0.1:\($0)"] }, log: "proxy.log"))
        for port in replicaPorts { try await waitForOK("http://127.0.0.1:\(port)/v2/health/ready", children: children) }
        try await waitForOK(proxyURL + "/v2/health/ready", children: children)
        say("replicas on :\(replicaPorts.map(String.init).joined(separator: ", :")), proxy on :\(basePort + 10)")

        say("\n== three predictions through the proxy (POST /predict)")
        let records = try Self.records(path: data, model: model, count: 3)
        for record in records {
            let body = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            let (status, headers, text) = try await post(proxyURL + "/predict", Array(body))
            let first = Self.firstPrediction(text)
            let probabilities = first?["probabilities"] as? [String: Double]
            let churn = (first?["class"] as? String).flatMap { probabilities?[$0] }
            let tenure = (record["tenure_months"] as? Double).map { String(Int($0)) } ?? "?"
            say(String(format: "  tenure %@ months, %@ contract → churn %@ (p = %.3f)  [%d, version %@, request %@]",
                       tenure, "\(record["contract"] ?? "?")", "\(first?["class"] ?? "?")",
                       churn ?? .nan, status, headers["x-model-version"] ?? "?", headers["x-request-id"] ?? "?"))
        }

        try await whileServing()

        let body = try JSONSerialization.data(withJSONObject: records[0], options: [.sortedKeys])
        let plan = LoadTestPlan(url: proxyURL + "/predict", body: Array(body), concurrency: 8, duration: .seconds(30), maxRequests: 1000,
                                countHeader: "X-Model-Version")
        say("\n== load test: trainyard loadtest --url \(plan.url) --concurrency 8 --requests 1000")
        let report = try await LoadTest.run(plan)
        say(LoadReportText(plan: plan).summary(report))

        var logged: [String: Int] = [:]
        for port in replicaPorts {
            let (_, _, text) = try await get("http://127.0.0.1:\(port)/predictions/counts")
            for (status, count) in (try? JSONDecoder().decode([String: Int].self, from: Data(text.utf8))) ?? [:] { logged[status, default: 0] += count }
        }
        let expected = report.statusCounts.merging(["200": records.count]) { $0 + $1 }
        say("prediction logs of the two replicas: \(logged.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", "))"
            + (logged == expected ? " — one record per response" : " — WARNING: expected \(expected)"))
    }

    /// The first prediction of a `/predict` answer body (`{"predictions": [{"class": …, "probabilities": {…}}]}`).
    static func firstPrediction(_ body: String) -> [String: Any]? {
        (((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any])?["predictions"] as? [[String: Any]])?.first
    }

    /// Terminates `children` and waits for them to exit.
    static func stop(_ children: [Process]) {
        for child in children where child.isRunning { child.terminate() }
        for child in children { child.waitUntilExit() }
    }

    /// The first `count` rows of the CSV as JSON records of the model's input columns.
    static func records(path: String, model: TrainyardModel, count: Int) throws -> [[String: Any]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").prefix(count + 1).map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let kinds = model.preprocessor.columnKinds
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var record: [String: Any] = [:]
            for (name, cell) in zip(header, cells) {
                guard let kind = kinds[name] else { continue }
                record[name] = kind == .numeric ? (Double(cell).map { $0 as Any } ?? NSNull()) : (cell.isEmpty ? NSNull() as Any : cell as Any)
            }
            return record
        }
    }

    func spawn(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        let logURL = directory.appendingPathComponent(log)
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil) else {
            throw CommandFailure("cannot create the log file \(logURL.path)")
        }
        process.standardError = try FileHandle(forWritingTo: logURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func waitForOK(_ url: String, children: [Process]) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let (status, _, _) = try? await get(url), status == 200 { return }
            if let dead = children.first(where: { !$0.isRunning }) {
                throw CommandFailure("\(dead.arguments?.first ?? "a child") exited (logs in \(directory.path))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure("\(url) did not become ready within 30 s (logs in \(directory.path))")
    }

    private func get(_ url: String) async throws -> (Int, [String: String], String) {
        try await send(HTTPClientRequest(url: url))
    }

    func post(_ url: String, _ body: [UInt8]) async throws -> (Int, [String: String], String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> (Int, [String: String], String) {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return (Int(response.status.code), headers, body)
    }
}
