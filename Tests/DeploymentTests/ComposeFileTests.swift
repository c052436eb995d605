import ArgumentParser
import Foundation
import Testing
import TestSupport
@testable import TrainyardCLI
import Yams

/// No Docker engine runs on our machines, so the compose file and Dockerfile are checked
/// against the CLI here: every command parses, and addresses and ports agree.
struct ComposeFileTests {
    let compose: [String: Any]
    let services: [String: [String: Any]]

    init() throws {
        let url = TrainyardProcess.packageRoot.appendingPathComponent("docker-compose.yml")
        compose = try #require(try Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) as? [String: Any])
        services = try #require(compose["services"] as? [String: [String: Any]])
    }

    func command(_ service: String) throws -> [String] {
        try #require(services[service]?["command"] as? [String], "\(service) needs a command array")
    }

    /// The services that run Trainyard's image with its `trainyard` entrypoint.
    var trainyardServices: [String] {
        services.keys.sorted().filter { (services[$0]?["image"] as? String)?.hasPrefix("trainyard:") == true && services[$0]?["entrypoint"] == nil }
    }

    func option(_ name: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    @Test func composeHasACoordinatorAndAScalableWorker() throws {
        #expect(Set(services.keys).isSuperset(of: ["coordinator", "worker"]))
        let worker = try #require(services["worker"])
        // Scaling with --scale worker=N needs no fixed name and no published ports.
        #expect(worker["container_name"] == nil)
        #expect(worker["ports"] == nil)
        #expect(worker["image"] as? String == services["coordinator"]?["image"] as? String)
    }

    @Test func everyCommandInTheComposeFileParsesWithTheCLI() throws {
        var commands = try trainyardServices.map { try command($0) }
        for service in services.values {
            if let test = (service["healthcheck"] as? [String: Any])?["test"] as? [String], (service["image"] as? String)?.hasPrefix("trainyard:") == true {
                #expect(test.first == "CMD")
                #expect(test.dropFirst().first == "trainyard")
                commands.append(Array(test.dropFirst(2)))
            }
        }
        #expect(commands.count >= 7)
        for arguments in commands {
            #expect(throws: Never.self, "\(arguments.joined(separator: " "))") {
                _ = try Trainyard.parseAsRoot(arguments)
            }
        }
        // And the check itself can fail: a misspelt flag is rejected.
        #expect(throws: (any Error).self) { _ = try Trainyard.parseAsRoot(["worker", "--conect", "tcp://x:1"]) }
    }

    @Test func workersConnectToTheCoordinatorServiceOnTheBoundAndPublishedPort() throws {
        let bind = try #require(option("--bind", in: command("coordinator")))
        let connect = try #require(option("--connect", in: command("worker")))
        let bindURL = try #require(URLComponents(string: bind))
        let connectURL = try #require(URLComponents(string: connect))
        #expect(bindURL.scheme == "tcp" && connectURL.scheme == "tcp")
        #expect(["0.0.0.0", "*"].contains(bindURL.host ?? ""), "the coordinator must listen on all interfaces in a container")
        #expect(connectURL.host == "coordinator", "workers reach the coordinator by its service name")
        #expect(connectURL.port == bindURL.port)
        #expect(services["coordinator"]?["ports"] == nil, "the coordinator's ZeroMQ port stays inside the compose network")
        let health = try #require((services["coordinator"]?["healthcheck"] as? [String: Any])?["test"] as? [String])
        #expect(option("--coordinator", in: health).flatMap { URLComponents(string: $0)?.port } == bindURL.port)
        // Workers and coordinator share heartbeat settings.
        for flag in ["--heartbeat-interval", "--heartbeat-liveness"] {
            #expect(try option(flag, in: command("coordinator")) == option(flag, in: command("worker")))
        }
    }

    @Test func servingServicesAgreeOnAddressesAndReplicasScale() throws {
        #expect(Set(services.keys).isSuperset(of: ["registry", "replica", "proxy"]))
        let registryListen = try #require(option("--listen", in: command("registry")))
        let registryPort = try #require(registryListen.split(separator: ":").last.flatMap { Int($0) })
        #expect(registryListen.hasPrefix("0.0.0.0:"), "the registry must listen on all interfaces in a container")
        // The coordinator publishes to, and replicas load from, the registry service.
        for (service, flag) in [("coordinator", "--registry"), ("replica", "--registry")] {
            let text = try #require(option(flag, in: command(service)))
            let url = try #require(URLComponents(string: text))
            #expect(url.host == "registry" && url.port == registryPort, "\(service) \(flag)")
        }
        let replica = try #require(services["replica"])
        #expect(replica["container_name"] == nil && replica["ports"] == nil, "replicas scale with --scale replica=N")
        let replicaListen = try #require(option("--listen", in: command("replica")))
        let replicaPort = try #require(replicaListen.split(separator: ":").last.flatMap { Int($0) })
        #expect(try option("--discover", in: command("proxy")) == "replica:\(replicaPort)")
        #expect(try option("--pipeline", in: command("proxy")) == "4")
        let proxyListen = try #require(option("--listen", in: command("proxy")))
        let proxyPort = try #require(proxyListen.split(separator: ":").last)
        #expect((services["proxy"]?["ports"] as? [String])?.contains { $0.hasSuffix(":\(proxyPort)") } == true)
        #expect(services["registry"]?["ports"] == nil, "the registry stays inside the compose network")
        let volumes = try #require(compose["volumes"] as? [String: Any])
        #expect(volumes.keys.contains("registry"))
        // The sentiment pool: its own replicas and proxy.
        #expect(try option("--discover", in: command("proxy-sentiment")) == "replica-sentiment:\(replicaPort)")
        #expect(try option("--model", in: command("replica-sentiment")) == "sentiment")
    }

    @Test func dockerfileBuildsOneImageForEveryRole() throws {
        let build = try #require(services.values.compactMap { $0["build"] as? [String: Any] }.first, "one service builds the image")
        let path = try #require(build["dockerfile"] as? String)
        let root = TrainyardProcess.packageRoot
        let dockerfile = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        let lines = dockerfile.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let stages = lines.filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2, "multi-stage: builder and runtime")
        #expect(stages.first?.contains("swift:6") == true)
        #expect(stages.last?.contains("debian:") == true && stages.last?.contains("slim") == true)
        #expect(dockerfile.contains("libzmq3-dev"), "the builder needs libzmq headers")
        #expect(dockerfile.contains("libzmq5"), "the runtime needs the libzmq shared library")
        #expect(lines.contains(#"ENTRYPOINT ["trainyard"]"#))
        #expect(dockerfile.contains("--product trainyard"))
        // Everything the build copies exists in the repository.
        for line in lines where line.hasPrefix("COPY ") && !line.contains("--from=") {
            let parts = line.split(separator: " ").map(String.init)
            for source in parts.dropFirst().dropLast() {
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(source).path), "COPY \(source)")
            }
        }
        #expect(dockerfile.contains("EXPOSE 5555"))
        // The one-shot services' scripts and pipelines come from docker/share.
        #expect(lines.contains("COPY docker/share /usr/local/share/trainyard"))
        for service in ["secrets", "demo"] {
            let entrypoint = try #require(services[service]?["entrypoint"] as? [String])
            let script = try #require(entrypoint.last?.replacingOccurrences(of: "/usr/local/share/trainyard", with: root.path + "/docker/share"))
            #expect(FileManager.default.fileExists(atPath: script), "\(service): \(script)")
        }
    }

    /// The file loads in Debian's docker-compose 1.29 (`config`, which validates it against the compose schema it ships).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: TrainyardProcess.packageRoot.appendingPathComponent(".venv-compose/bin/docker-compose").path),
                   "needs docker-compose 1.29 in .venv-compose (make pyenv)"))
    func dockerCompose129LoadsTheFile() async throws {
        let root = TrainyardProcess.packageRoot
        let text = try await KubernetesManifestTests.run(root.appendingPathComponent(".venv-compose/bin/docker-compose").path,
                                                         ["-f", root.appendingPathComponent("docker-compose.yml").path, "config", "--services"])
        #expect(Set(text.split(separator: "\n").map(String.init)) == Set(services.keys), "\(text)")
    }
}
