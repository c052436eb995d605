import Foundation
import LoadTesting
import ModelRegistry
import TestSupport
import Testing
import TrainyardML

/// Registry, replicas, proxy and coordinator as real processes on loopback (ports 57300–57399).
@Suite(.serialized)
struct ServingProcessTests {
    /// The churn CSV's rows (label dropped) as JSON: numbers for numeric columns, strings for
    /// the others, null for empty cells.
    func rows(_ stack: ServingStack, model: TrainyardModel, count: Int) throws -> (columns: [String], data: [[Any]]) {
        let lines = try String(contentsOfFile: stack.path("churn.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let kinds = model.preprocessor.columnKinds
        let keep = header.indices.filter { kinds[header[$0]] != nil }
        let data = lines[1...count].map { line -> [Any] in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return keep.map { index -> Any in
                let cell = cells[index]
                if cell.isEmpty { return NSNull() }
                // Numeric cells the CSV reader takes as missing (NA, ?) are null here.
                guard kinds[header[index]] == .numeric else { return cell }
                return Double(cell).map { $0 as Any } ?? NSNull()
            }
        }
        return (keep.map { header[$0] }, data)
    }

    func json(_ object: Any) throws -> String { String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self) }

    @Test func replicaPredictionsEqualTrainyardPredictForEveryProtocol() async throws {
        let stack = try ServingStack(basePort: 57300)
        defer { stack.stop() }
        // 2,500 rows: the dataframe_split batch is read and predicted in three pipelined chunks.
        try await stack.trainModels(rows: 3000)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0)
        let model = try ModelFile.read(path: stack.path("v1.model"))
        let (columns, data) = try rows(stack, model: model, count: 2500)
        // `trainyard predict` on the same file: probability,class per row.
        let expected = try await stack.run(["predict", "--model", stack.path("v1.model"), "--data", stack.path("churn.csv")])
            .split(separator: "\n").dropFirst().prefix(2500).map { line -> (Float, String) in
                let parts = line.split(separator: ",")
                return (Float(String(parts[0]))!, String(parts[1]))
            }
        let base = stack.replicaURL(0)

        let invocations = try await stack.post(base + "/invocations", try json(["dataframe_split": ["columns": columns, "data": data]]))
        #expect(invocations.status == 200 && invocations.headers["x-model-version"] == "1")
        let values = try #require((invocations.json as? [String: Any])?["predictions"] as? [Double])
        #expect(values.map(Float.init) == expected.map(\.0))

        let records = data.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) }
        for body in [["records": records], ["dataframe_split": ["columns": columns, "data": data]]] as [[String: Any]] {
            let predict = try await stack.post(base + "/predict", try json(body))
            let answers = try #require((predict.json as? [String: Any])?["predictions"] as? [[String: Any]])
            // Every class by name; the second class's is the CLI's (and MLflow's) scalar.
            let classes = model.label.classes ?? ["0", "1"]
            #expect(answers.map { Float(($0["probabilities"] as! [String: Double])[classes[1]]!) } == expected.map(\.0))
            #expect(answers.map { Float(($0["probabilities"] as! [String: Double])[classes[0]]!) } == expected.map { 1 - $0.0 })
            #expect(answers.map { $0["class"] as! String } == expected.map(\.1))
        }

        let tensors = columns.enumerated().map { index, name -> [String: Any] in
            ["name": name, "shape": [data.count], "datatype": model.preprocessor.columnKinds[name] == .numeric ? "FP64" : "BYTES",
             "data": data.map { $0[index] }]
        }
        let v2 = try await stack.post(base + "/v2/models/churn/infer", try json(["id": "q1", "inputs": tensors]))
        let v2Body = try #require(v2.json as? [String: Any])
        #expect(v2Body["model_version"] as? String == "1" && v2Body["id"] as? String == "q1")
        let outputs = try #require(v2Body["outputs"] as? [[String: Any]])
        #expect((outputs[0]["data"] as? [Double])?.map(Float.init) == expected.map(\.0))
        #expect(outputs[0]["shape"] as? [Int] == [2500])

        // MLflow's and SageMaker's CSV: the file's own lines, label column and all.
        let csvLines = try String(contentsOfFile: stack.path("churn.csv"), encoding: .utf8).split(separator: "\n").prefix(2501)
        let csv = try await stack.post(base + "/invocations", csvLines.joined(separator: "\n") + "\n", headers: ["Content-Type": "text/csv; charset=utf-8"])
        #expect(csv.status == 200, "\(csv.body.prefix(300))")
        #expect(((csv.json as? [String: Any])?["predictions"] as? [Double])?.map(Float.init) == expected.map(\.0))
    }

    @Test func replicasAnswerAsMLflowSageMakerAndV2ClientsExpect() async throws {
        let stack = try ServingStack(basePort: 57310)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0)
        let base = stack.replicaURL(0)
        let model = try ModelFile.read(path: stack.path("v1.model"))

        #expect(try await stack.get(base + "/ping").status == 200)
        let metadata = try await stack.get(base + "/v2/models/churn/versions/1")
        #expect(metadata.status == 200)
        #expect((metadata.json as? [String: Any])?["classes"] as? [String] == model.label.classes)
        #expect(try await stack.get(base + "/v2/models/churn/versions/1/ready").status == 200)
        #expect(try await stack.get(base + "/v2/models/churn/versions/2/ready").status == 404)
        #expect(try await stack.get(base + "/v2/models/churn/versions/2").status == 404)

        // Content types the endpoint does not read: 415 naming the ones it does.
        let xml = try await stack.post(base + "/invocations", "<row/>", headers: ["Content-Type": "application/xml"])
        #expect(xml.status == 415 && xml.body.contains("text/csv"), "\(xml.status) \(xml.body)")

        // A number for a categorical feature: 400 naming it. An unseen category: answered, counted, logged.
        var mistyped = try #require(try JSONSerialization.jsonObject(with: Data(ServingStack.churnRecord.utf8)) as? [String: Any])
        mistyped["contract"] = 1
        let refused = try await stack.post(base + "/predict", try json(mistyped))
        #expect(refused.status == 400 && refused.body.contains("'contract'"), "\(refused.body)")
        mistyped["contract"] = "lifetime"
        let novel = try await stack.post(base + "/predict", try json([mistyped, mistyped]), headers: ["X-Request-Id": "unseen-1"])
        #expect(novel.status == 200, "\(novel.body)")
        let metrics = try await stack.get(base + "/metrics").body
        #expect(metrics.contains(#"trainyard_unseen_categories_total{feature="contract"} 2"#), "\(metrics.split(separator: "\n").filter { $0.contains("unseen") })")
        try await waitUntil("the record in the log") {
            let log = try? await stack.get(base + "/predictions?limit=5")
            return log?.body.contains("unseen-1") == true
        }
        let logged = try #require(try await stack.get(base + "/predictions?limit=5").json as? [[String: Any]])
        let record = try #require(logged.first { $0["requestID"] as? String == "unseen-1" })
        #expect(record["unseenCategories"] as? [String: Int] == ["contract": 2], "\(record)")
    }

    @Test func everyKindOfBadInputGetsItsClientErrorAndNothingCrashes() async throws {
        let stack = try ServingStack(basePort: 57320)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0, extra: ["--max-body-bytes", "4096"])
        let base = stack.replicaURL(0)
        let good = ServingStack.churnRecord
        let cases: [(String, String, Int, String)] = [
            ("/predict", "{\"tenure_months\": 3", 400, "malformed JSON"),
            ("/predict", "{\"tenure_months\": 3}", 400, "missing feature 'monthly_charges'"),
            ("/predict", good.replacingOccurrences(of: "\"age\":33", with: "\"age\":\"old\""), 400, "feature 'age' (row 0) must be a number"),
            ("/predict", "[1, 2]", 400, "record 0 must be a JSON object"),
            ("/invocations", "{\"instances\": [[1, 2, 3]]}", 400, "row 0 has 3 values; expected 10"),
            ("/invocations", "{\"records\": []}", 400, "expected one of 'dataframe_split'"),
            ("/v2/models/churn/infer", "{\"inputs\": [{\"name\": \"age\", \"shape\": [2], \"datatype\": \"FP32\", \"data\": [1]}]}", 400,
             "shape [2] needs 2 values"),
            ("/v2/models/other/infer", "{\"inputs\": []}", 404, "model 'other' is not served here"),
            ("/predict", "[" + Array(repeating: good, count: 40).joined(separator: ",") + "]", 413, "larger than the limit of 4096 bytes"),
        ]
        var statuses: [String: Int] = [:]
        for (path, body, status, message) in cases {
            let reply = try await stack.post(base + path, body, headers: ["X-Request-Id": "bad-\(statuses.values.reduce(0, +))"])
            #expect(reply.status == status, "\(path) \(body.prefix(60)) → \(reply.status) \(reply.body)")
            #expect(((reply.json as? [String: Any])?["error"] as? String)?.contains(message) == true, "\(reply.body) lacks \(message)")
            statuses[String(status), default: 0] += 1
        }
        let ok = try await stack.post(base + "/predict", good)
        #expect(ok.status == 200)
        statuses["200", default: 0] += 1
        // Every request, refused ones too, is in the prediction log with its status.
        let counts = try await stack.get(base + "/predictions/counts")
        #expect(try JSONDecoder().decode([String: Int].self, from: Data(counts.body.utf8)) == statuses)
        let refused = try await stack.get(base + "/predictions?status=413&limit=5")
        #expect(refused.body.contains("larger than the limit") && refused.body.contains("\"requestID\""))
        #expect(stack.process("replica0")?.isRunning == true)
    }

    @Test func aModelSwappedUnderLoadFailsNoRequestAndEveryResponseIsLogged() async throws {
        let stack = try ServingStack(basePort: 57340)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0)
        let body = "{\"tenure_months\":11,\"monthly_charges\":88.77,\"total_charges\":975.07,\"contract\":\"one-year\",\"payment_method\":\"electronic-check\",\"internet_service\":\"fiber\",\"support_calls\":5,\"age\":33,\"senior\":0,\"region\":\"central\"}"
        let plan = LoadTestPlan(url: stack.replicaURL(0) + "/predict", body: Array(body.utf8), concurrency: 4, duration: .seconds(60),
                                rate: 400, maxRequests: 2000, countHeader: "X-Model-Version")
        let load = Task { try await LoadTest.run(plan) }
        try await Task.sleep(for: .seconds(1.5))
        try await stack.publishAndPromote("v2.model")
        let report = try await load.value
        #expect(report.responses == 2000 && report.statusCounts == ["200": 2000], "\(report.statusCounts) \(report.errors)")
        #expect(report.errors.isEmpty)
        #expect(Set(report.headerCounts.keys) == ["1", "2"], "versions seen: \(report.headerCounts)")
        let counts = try await stack.get(stack.replicaURL(0) + "/predictions/counts")
        #expect(try JSONDecoder().decode([String: Int].self, from: Data(counts.body.utf8)) == ["200": 2000])
        let byVersion = try await stack.get(stack.replicaURL(0) + "/predictions/counts?version=2")
        #expect(try JSONDecoder().decode([String: Int].self, from: Data(byVersion.body.utf8))["200"] == report.headerCounts["2"])
    }

    /// Also with requests pipelined on the proxy's backend connections (`--pipeline 4`), under heavier load so that
    /// several are awaited on a connection when the replica dies.
    @Test(arguments: [(depth: 1, basePort: 57360, rate: 400.0, concurrency: 8, requests: 2000),
                      (depth: 4, basePort: 57370, rate: 1500.0, concurrency: 16, requests: 6000)])
    func killingOneOfTwoReplicasUnderLoadFailsNoRequestThroughTheProxy(
        _ setup: (depth: Int, basePort: Int, rate: Double, concurrency: Int, requests: Int)
    ) async throws {
        let stack = try ServingStack(basePort: setup.basePort)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0)
        try await stack.startReplica(1)
        try await stack.startProxy(replicas: [0, 1], extra: ["--pipeline", "\(setup.depth)"])
        try await waitUntil("the proxy to answer") { (try? await stack.get(stack.proxyURL + "/v2/health/ready").status) == 200 }
        let body = "{\"tenure_months\":11,\"monthly_charges\":88.77,\"total_charges\":975.07,\"contract\":\"one-year\",\"payment_method\":\"electronic-check\",\"internet_service\":\"fiber\",\"support_calls\":5,\"age\":33,\"senior\":0,\"region\":\"central\"}"
        let plan = LoadTestPlan(url: stack.proxyURL + "/predict", body: Array(body.utf8), concurrency: setup.concurrency,
                                duration: .seconds(60), rate: setup.rate, maxRequests: setup.requests)
        let load = Task { try await LoadTest.run(plan) }
        try await Task.sleep(for: .seconds(1.5))
        stack.process("replica1")?.signal(SIGKILL)
        let report = try await load.value
        #expect(report.statusCounts == ["200": setup.requests], "\(report.statusCounts) \(report.errors)")
        #expect(report.errors.isEmpty)
    }

    @Test func theCoordinatorPublishesEachSuccessfulJobsModel() async throws {
        let stack = try ServingStack(basePort: 57380)
        defer { stack.stop() }
        try await stack.run(["data", "synth", "--rows", "400", "--seed", "5", "--out", stack.path("churn.csv")])
        try await stack.start("coordinator", ["coordinator", "--bind", "tcp://127.0.0.1:57381", "--state-dir", stack.path("state"),
                                              "--data-root", stack.path(""), "--registry-listen", "127.0.0.1:57380"], ready: "registry listening")
        try await stack.start("worker", ["worker", "--connect", "tcp://127.0.0.1:57381", "--id", "w1", "--cores", "1"])
        let registry = RegistryClient(baseURL: stack.registryURL)
        try await waitUntil("the worker to join") {
            (try? await stack.run(["submit", "train", "--coordinator", "tcp://127.0.0.1:57381", "--data", stack.path("churn.csv"),
                                   "--label", "churned", "--n-trees", "5", "--model-name", "churn", "--wait", "--json"])) != nil
        }
        let model = try await registry.model("churn")
        #expect(model.versions.count == 1)
        let version = try #require(model.versions.first)
        #expect(version.jobID != nil && version.status == .pending && version.metrics["train.auc"] != nil)
        let artifact = try await registry.download("churn", version: 1)
        let coordinatorModel = try #require(FileManager.default.contents(atPath: stack.path("state/models/job-\(version.jobID!).model")))
        #expect(artifact.bytes == [UInt8](coordinatorModel))
    }
}
