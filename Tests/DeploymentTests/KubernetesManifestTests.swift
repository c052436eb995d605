import Foundation
import Testing
import TestSupport
@testable import TrainyardCLI
import Yams

/// deploy/k8s built as `kubectl apply -k deploy/k8s/overlays/small` builds it (with the token files
/// its README makes), validated against the Kubernetes schema, and held to what a cluster
/// operator expects: non-root pods without privileges, probes, requests and limits, services
/// that find each other, commands the CLI accepts.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl"), "needs kubectl (kustomize)"))
struct KubernetesManifestTests {
    static let validator = TrainyardProcess.packageRoot.appendingPathComponent(".venv/bin/kubernetes-validate").path

    /// The overlay's resources, built in a copy of deploy/k8s whose overlay has its token files.
    static func build() async throws -> (yaml: String, resources: [[String: Any]]) {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-k8s-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(at: TrainyardProcess.packageRoot.appendingPathComponent("deploy/k8s"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let overlay = copy.appendingPathComponent("overlays/small")
        for (name, role) in [("coordinator", "approver"), ("replica", "reader")] {
            let made = try await TrainyardProcess.run(["tokens", "create", "--file", overlay.appendingPathComponent("tokens.json").path,
                                                       "--name", name, "--role", role])
            #expect(made.status == 0, "\(made.stderr)")
            try made.stdout.write(to: overlay.appendingPathComponent("\(name).token"), atomically: true, encoding: .utf8)
        }
        let output = try await run("/usr/bin/kubectl", ["kustomize", overlay.path])
        let resources = try Yams.load_all(yaml: output).compactMap { $0 as? [String: Any] }
        return (output, resources)
    }

    /// Runs `executable` to the end on a thread of its own (never blocking the cooperative pool) and returns its output.
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<String, any Error>) in
            DispatchQueue.global().async {
                do { done.resume(returning: try runBlocking(executable, arguments)) } catch { done.resume(throwing: error) }
            }
        }
    }

    private static func runBlocking(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError("\(executable) \(arguments.joined(separator: " ")): \(text)\(problems)") }
        return text
    }

    static func named(_ resources: [[String: Any]], _ kind: String, _ name: String) -> [String: Any]? {
        resources.first { $0["kind"] as? String == kind && ($0["metadata"] as? [String: Any])?["name"] as? String == name }
    }

    static func podSpec(_ resource: [String: Any]) -> [String: Any]? {
        (((resource["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
    }

    @Test func theSmallOverlayBuildsIntoEveryPartOfTheSystem() async throws {
        let (_, resources) = try await Self.build()
        for (kind, name) in [("Namespace", "trainyard"), ("StatefulSet", "coordinator"), ("Service", "coordinator"), ("Deployment", "worker"),
                             ("StatefulSet", "registry"), ("Service", "registry"), ("Deployment", "replica"), ("Service", "replica"),
                             ("HorizontalPodAutoscaler", "replica"), ("Deployment", "proxy"), ("Service", "proxy")] {
            #expect(Self.named(resources, kind, name) != nil, "\(kind) \(name)")
        }
        #expect(resources.contains { $0["kind"] as? String == "Secret" && (($0["metadata"] as? [String: Any])?["name"] as? String)?.hasPrefix("trainyard-tokens") == true })
        // Headless services: workers find the coordinator pod, the proxy every replica.
        for name in ["coordinator", "replica"] {
            #expect((Self.named(resources, "Service", name)?["spec"] as? [String: Any])?["clusterIP"] as? String == "None", "\(name)")
        }
        #expect(((Self.named(resources, "Deployment", "worker")?["spec"] as? [String: Any])?["replicas"] as? Int) == 3)
        #expect((Self.named(resources, "Service", "proxy")?["spec"] as? [String: Any])?["type"] as? String == "LoadBalancer")
        for statefulSet in ["coordinator", "registry"] {
            #expect(((Self.named(resources, "StatefulSet", statefulSet)?["spec"] as? [String: Any])?["volumeClaimTemplates"] as? [Any])?.count == 1)
        }
    }

    @Test func everyPodRunsUnprivilegedWithProbesAndResourcesAndCommandsTheCLIAccepts() async throws {
        let (_, resources) = try await Self.build()
        let workloads = resources.filter { ["Deployment", "StatefulSet"].contains($0["kind"] as? String ?? "") }
        #expect(workloads.count == 5)
        for workload in workloads {
            let name = (workload["metadata"] as? [String: Any])?["name"] as? String ?? "?"
            let pod = try #require(Self.podSpec(workload))
            #expect((pod["securityContext"] as? [String: Any])?["runAsNonRoot"] as? Bool == true, "\(name): runAsNonRoot")
            for container in pod["containers"] as? [[String: Any]] ?? [] {
                let security = container["securityContext"] as? [String: Any]
                #expect(security?["allowPrivilegeEscalation"] as? Bool == false, "\(name): no privilege escalation")
                #expect(((security?["capabilities"] as? [String: Any])?["drop"] as? [String]) == ["ALL"], "\(name): capabilities dropped")
                let resources = container["resources"] as? [String: Any]
                #expect(resources?["requests"] != nil && resources?["limits"] != nil, "\(name): requests and limits")
                #expect(container["livenessProbe"] != nil, "\(name): a liveness probe")
                let arguments = try #require(container["args"] as? [String])
                #expect(throws: Never.self, "\(name): \(arguments.joined(separator: " "))") { _ = try Trainyard.parseAsRoot(arguments) }
                if let probe = (container["readinessProbe"] as? [String: Any])?["exec"] as? [String: Any], let command = probe["command"] as? [String] {
                    #expect(command.first == "trainyard")
                    #expect(throws: Never.self) { _ = try Trainyard.parseAsRoot(Array(command.dropFirst())) }
                }
            }
        }
        let replica = try #require(Self.named(resources, "Deployment", "replica").flatMap(Self.podSpec))
        let probe = ((replica["containers"] as? [[String: Any]])?.first?["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
        #expect(probe?["path"] as? String == "/v2/health/ready", "a replica takes traffic once its model is loaded")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: validator), "needs kubernetes-validate in .venv (make pyenv)"))
    func theManifestsValidateAgainstTheKubernetesSchema() async throws {
        let (yaml, _) = try await Self.build()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-k8s-\(UUID().uuidString.prefix(8)).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try await Self.run(Self.validator, ["--strict", file.path])
        #expect(output.contains("passed") && !output.contains("failed"), "\(output)")
    }
}
