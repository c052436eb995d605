import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport
import Yams

/// `docker compose up` run as the compose file says, without Docker: every Trainyard service of
/// docker-compose.yml (workers and replicas at their scale) on a network namespace of its own,
/// as the image's user, with the file's volumes, environment and dependency conditions
/// (``ComposeHarness``). Nobody types anything: the stack's one-shot services make the tokens,
/// upload data and apply the pipelines; the proxies then serve both models. A worker and a
/// replica are killed and replaced, and new data still reaches production.
@Suite(.serialized, .timeLimit(.minutes(15)))
struct ComposeStackTests {
    static let churnRecord = #"{"tenure_months": 11, "monthly_charges": 88.77, "total_charges": 975.07, "contract": "one-year", "#
        + #""payment_method": "credit-card", "internet_service": "fiber", "support_calls": 5, "age": 33, "senior": 0, "region": "north"}"#

    static func post(_ url: String, _ body: String) async -> (status: Int, body: String)? {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 5
        guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
        return (http.statusCode, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: NetworkNamespaces.available, "needs root and iproute2 (network namespaces)"))
    func composeUpServesBothModelsUnattendedAndSurvivesAWorkerAndAReplicaReplaced() async throws {
        let harness = try ComposeHarness(composeFile: TrainyardProcess.packageRoot.appendingPathComponent("docker-compose.yml"),
                                         skip: ["prometheus"])
        defer { harness.down() }
        try harness.createNetwork()
        try await harness.up(timeout: .seconds(180))
        try await harness.wait(for: "demo", "service_completed_successfully", timeout: .seconds(180))
        #expect(harness.instances(of: "worker").count == 2 && harness.instances(of: "replica").count == 2)

        // From the host, as through the published ports: the proxies serve what the pipelines promoted.
        let churn = "http://\(harness.instances(of: "proxy")[0].address):8000/predict"
        let sentiment = "http://\(harness.instances(of: "proxy-sentiment")[0].address):8000/predict"
        var last: [String] = []
        let served = await eventually(timeout: .seconds(600), every: .seconds(1)) { () -> Bool? in
            let a = await Self.post(churn, Self.churnRecord)
            let b = await Self.post(sentiment, #"{"review": "The acting was wonderful and the story was moving."}"#)
            last = ["churn: \(a.map { "\($0.status) \($0.body.prefix(200))" } ?? "no answer")",
                    "sentiment: \(b.map { "\($0.status) \($0.body.prefix(200))" } ?? "no answer")"]
            return a?.status == 200 && b?.status == 200 && a!.body.contains("probabilities") && b!.body.contains("positive") ? true : nil
        }
        let coordinator = harness.instances(of: "coordinator")[0]
        let pipelines = try await harness.exec(coordinator, ["trainyard", "pipeline", "list"])
        #expect(served != nil, "the proxies never served both models: \(last)\n\(pipelines.output)\n\(harness.logs)")
        #expect(pipelines.output.contains("churn@production") && pipelines.output.contains("sentiment@production"), "\(pipelines.output)")

        // A worker and a replica crash; their restart policy brings them back.
        for service in ["worker", "replica"] {
            let policy = harness.services[service]?["restart"] as? String
            #expect(["always", "unless-stopped", "on-failure"].contains(policy ?? ""), "\(service) restart: \(policy ?? "none")")
            let number = try #require(harness.instances.firstIndex { $0.service == service })
            harness.kill(number)
            try harness.start(number)
        }
        let rejoined = await eventually(timeout: .seconds(60), every: .seconds(1)) { () -> Bool? in
            let status = try? await harness.exec(coordinator, ["trainyard", "cluster", "status"])
            return status?.output.contains("2 alive of") == true ? true : nil
        }
        #expect(rejoined != nil, "\(harness.logs)")
        let answering = await eventually(timeout: .seconds(60), every: .milliseconds(500)) { () -> Bool? in
            for _ in 0..<10 {
                let answer = await Self.post(churn, Self.churnRecord)
                last = ["churn: \(answer.map { "\($0.status) \($0.body.prefix(200))" } ?? "no answer")"]
                guard answer?.status == 200 else { return nil }
            }
            return true
        }
        #expect(answering != nil, "the proxy did not serve through the replaced replica: \(last)\n\(harness.logs)")

        // New data, uploaded inside the network with the demo's token: the churn pipeline runs again on the rejoined workers.
        let demo = harness.instances(of: "demo")[0]
        let upload = try await harness.exec(demo, ["sh", "-c", "trainyard data synth --rows 5000 --seed 7 --out /tmp/churn-2.csv && "
                                                   + "trainyard datasets upload /tmp/churn-2.csv --name churn --registry http://registry:8080"], timeout: .seconds(60))
        #expect(upload.status == 0 && upload.output.contains("churn@2"), "\(upload.output)")
        let rerun = await eventually(timeout: .seconds(300), every: .seconds(1)) { () -> String? in
            let runs = try? await harness.exec(coordinator, ["trainyard", "pipeline", "runs", "churn"])
            guard let lines = runs?.output.split(separator: "\n"), lines.count >= 3,
                  lines.contains(where: { $0.contains("churn@2") && ($0.contains("succeeded") || $0.contains("stopped")) }) else { return nil }
            return runs?.output
        }
        #expect(rerun != nil, "the churn pipeline did not run on churn@2\n\(harness.logs)")
    }

    /// What `docker compose up` on a fresh host needs from every service, checked on the file itself.
    @Test func everyServiceRestartsReportsItsHealthRunsUnprivilegedAndOnlyTheProxiesArePublished() throws {
        let url = TrainyardProcess.packageRoot.appendingPathComponent("docker-compose.yml")
        let file = try #require(try Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) as? [String: Any])
        let services = try #require(file["services"] as? [String: [String: Any]])
        #expect(file["name"] == nil, "Debian's docker-compose 1.29 rejects a top-level name")
        let dockerfile = try String(contentsOf: TrainyardProcess.packageRoot.appendingPathComponent("docker/Dockerfile"), encoding: .utf8)
        let runtime = try #require(dockerfile.components(separatedBy: "FROM ").last)
        #expect(runtime.contains("USER trainyard") && runtime.contains("--uid 10001"), "the image runs as a user, not root")
        let oneShots = Set(services.values.flatMap { service in
            ((service["depends_on"] as? [String: Any]) ?? [:]).compactMap { name, value in
                ((value as? [String: Any])?["condition"] as? String) == "service_completed_successfully" ? name : nil
            }
        } + ["demo"])
        for (name, service) in services.sorted(by: { $0.key < $1.key }) {
            let restart = service["restart"] as? String
            #expect(["always", "unless-stopped", "on-failure"].contains(restart ?? ""), "\(name) has no restart policy")
            if !oneShots.contains(name) {
                #expect((service["healthcheck"] as? [String: Any])?["test"] != nil, "\(name) has no healthcheck")
            }
            if (service["image"] as? String)?.hasPrefix("trainyard:") != true {
                #expect(service["user"] != nil, "\(name) runs an image of its own: give it a non-root user")
            }
            let ports = service["ports"] as? [String] ?? []
            #expect(ports.isEmpty || name.hasPrefix("proxy"), "\(name) publishes \(ports): only the proxies are published")
            // Every named volume is mounted at a path the image creates, so Docker gives it the image user's ownership.
            for volume in service["volumes"] as? [String] ?? [] {
                let parts = volume.split(separator: ":").map(String.init)
                guard parts.count >= 2, !parts[0].hasPrefix("."), (service["image"] as? String)?.hasPrefix("trainyard:") == true else { continue }
                #expect(runtime.contains(parts[1]), "\(name) mounts \(parts[0]) at \(parts[1]), which the image does not create (it would be root's)")
            }
        }
    }
}
