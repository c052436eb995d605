import Foundation
import TestSupport
import Yams

/// `docker compose up` without a Docker engine: the compose file's services started as their
/// containers would run them, each instance on a "host" of its own.
///
/// Each instance gets a network namespace joined to one bridge (10.233.0.0/24), with every
/// service name — all instances of a scaled one — in its `/etc/hosts` (`ip netns exec`
/// bind-mounts `/etc/netns/NS/hosts`). Its command runs as the image's user (uid 10001) in a
/// mount namespace of its own where the image's paths are what the image has: `/var/lib` and
/// `/usr/local/share` are fresh tmpfs mounts holding the directories the Dockerfile creates, the
/// compose file's volumes are bind-mounted where it says (a named volume starts as a directory
/// owned by the image's user, as Docker initialises it from the image), and the Dockerfile's
/// `COPY docker/share` is the repository's folder. The environment is the file's, `trainyard` on
/// the PATH is the test build. Dependencies are started in order with their conditions
/// (started, healthy by the service's own healthcheck command, completed successfully).
final class ComposeHarness: @unchecked Sendable {
    struct Instance {
        var service: String
        var index: Int
        var namespace: String
        var address: String
        var process: Process?
        var log: URL
    }

    let file: [String: Any]
    let services: [String: [String: Any]]
    let scale: [String: Int]
    let root: URL
    let prefix = "tyk\(getpid() % 10_000)"
    private(set) var instances: [Instance] = []
    /// Services not started: images other than Trainyard's (checked by their own tools instead).
    let skipped: Set<String>
    static let imageUser = "10001"
    static let bridgeAddress = "10.233.0.1"

    init(composeFile: URL, scale: [String: Int] = [:], skip: Set<String>) throws {
        let text = try String(contentsOf: composeFile, encoding: .utf8)
        guard let file = try Yams.load(yaml: text) as? [String: Any], let services = file["services"] as? [String: [String: Any]] else {
            throw HarnessError("\(composeFile.path) has no services")
        }
        self.file = file
        self.services = services
        self.skipped = skip
        var counts: [String: Int] = [:]
        for (name, service) in services {
            counts[name] = scale[name] ?? ((service["deploy"] as? [String: Any])?["replicas"] as? Int) ?? 1
        }
        self.scale = counts
        root = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-compose-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        chmod(root.path, 0o755)
    }

    // MARK: topology

    /// Creates the bridge, one namespace per service instance and their hosts files.
    func createNetwork() throws {
        try Self.ip(["link", "add", "\(prefix)br", "type", "bridge"])
        try Self.ip(["addr", "add", "\(Self.bridgeAddress)/24", "dev", "\(prefix)br"])
        try Self.ip(["link", "set", "\(prefix)br", "up"])
        var number = 10
        for name in services.keys.sorted() where !skipped.contains(name) {
            for index in 1...scale[name]! {
                let namespace = "\(prefix)n\(number)"
                let address = "10.233.0.\(number)"
                try Self.ip(["netns", "add", namespace])
                try Self.ip(["-n", namespace, "link", "set", "lo", "up"])
                try Self.ip(["link", "add", "\(prefix)h\(number)", "type", "veth", "peer", "name", "eth0", "netns", namespace])
                try Self.ip(["link", "set", "\(prefix)h\(number)", "master", "\(prefix)br", "up"])
                try Self.ip(["-n", namespace, "addr", "add", "\(address)/24", "dev", "eth0"])
                try Self.ip(["-n", namespace, "link", "set", "eth0", "up"])
                try Self.ip(["-n", namespace, "route", "add", "default", "via", Self.bridgeAddress])
                instances.append(Instance(service: name, index: index, namespace: namespace, address: address,
                                          log: root.appendingPathComponent("\(name)-\(index).log")))
                number += 1
            }
        }
        var hosts = "127.0.0.1 localhost\n"
        for instance in instances { hosts += "\(instance.address) \(instance.service)\n" }
        for instance in instances {
            let directory = "/etc/netns/\(instance.namespace)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try (hosts + "\(instance.address) \(instance.service)-\(instance.index)\n").write(toFile: directory + "/hosts", atomically: true, encoding: .utf8)
            try "multi on\n".write(toFile: directory + "/host.conf", atomically: true, encoding: .utf8)
        }
    }

    /// Every instance of `service`.
    func instances(of service: String) -> [Instance] { instances.filter { $0.service == service } }

    // MARK: running

    /// The argv a container of `service` runs: its entrypoint (or the image's, `trainyard`) and its command.
    func argv(_ service: String) -> [String] {
        let definition = services[service]!
        let entrypoint = definition["entrypoint"] as? [String] ?? ["trainyard"]
        let command = definition["command"] as? [String] ?? []
        return entrypoint + command
    }

    /// The shell lines that give an instance the container's file system: tmpfs over the image's
    /// writable trees, its directories (owned as the Dockerfile makes them), its volumes.
    func mountScript(for instance: Instance) throws -> String {
        var lines = ["set -e", "mount --make-rprivate /",
                     "mount -t tmpfs -o mode=0755 tmpfs /var/lib", "mkdir -p /var/lib/trainyard/state /var/lib/trainyard/registry "
                        + "/var/lib/trainyard/secrets /var/lib/trainyard/logs",
                     "chown -R \(Self.imageUser):\(Self.imageUser) /var/lib/trainyard", "chmod 0700 /var/lib/trainyard/secrets",
                     "mount -t tmpfs -o mode=0755 tmpfs /usr/local/share", "mkdir -p /usr/local/share/trainyard",
                     "mount --bind \(Self.quoted(TrainyardProcess.packageRoot.appendingPathComponent("docker/share").path)) /usr/local/share/trainyard"]
        for volume in services[instance.service]!["volumes"] as? [String] ?? [] {
            let parts = volume.split(separator: ":").map(String.init)
            let (source, target, readOnly) = parts.count == 1 ? (nil, parts[0], false) : (parts[0], parts[1], parts.count > 2 && parts[2] == "ro")
            let host: URL
            if let source, source.hasPrefix(".") {
                host = TrainyardProcess.packageRoot.appendingPathComponent(source)
            } else {
                let name = source ?? "anonymous-\(instance.service)-\(instance.index)\(target.replacingOccurrences(of: "/", with: "_"))"
                host = root.appendingPathComponent("volumes/\(name)")
                if !FileManager.default.fileExists(atPath: host.path) {
                    // A new volume: a copy of the image's directory, its owner included.
                    try FileManager.default.createDirectory(at: host, withIntermediateDirectories: true)
                    chmod(root.appendingPathComponent("volumes").path, 0o755)
                    chown(host.path, 10001, 10001)
                    chmod(host.path, target.hasSuffix("/secrets") ? 0o700 : 0o755)
                }
            }
            lines.append("mkdir -p \(Self.quoted(target))")
            lines.append("mount --bind \(Self.quoted(host.path)) \(Self.quoted(target))")
            if readOnly { lines.append("mount -o remount,bind,ro \(Self.quoted(target))") }
        }
        return lines.joined(separator: "\n")
    }

    /// The environment of `service`'s containers: the image's, then the file's.
    func environment(_ service: String) -> [String: String] {
        var environment = ["PATH": binDirectory.path + ":/usr/local/bin:/usr/bin:/bin", "HOME": "/var/lib/trainyard"]
        if let map = services[service]?["environment"] as? [String: Any] {
            for (key, value) in map { environment[key] = "\(value)" }
        }
        return environment
    }

    /// A copy of the test build readable by the image's user.
    lazy var binDirectory: URL = {
        let directory = root.appendingPathComponent("bin")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let copy = directory.appendingPathComponent("trainyard")
        try? FileManager.default.copyItem(at: TrainyardProcess.executable, to: copy)
        chmod(directory.path, 0o755)
        chmod(copy.path, 0o755)
        return directory
    }()

    /// The process line that runs `arguments` inside `instance`'s container: its namespace, its
    /// file system, as the image's user, in its working directory.
    func containerCommand(_ instance: Instance, _ arguments: [String]) throws -> [String] {
        let environment = environment(instance.service).map { "\($0.key)=\($0.value)" }.sorted()
        let run = (["exec", "setpriv", "--reuid", Self.imageUser, "--regid", Self.imageUser, "--clear-groups", "env", "-i"]
                   + environment + arguments).map(Self.quoted).joined(separator: " ")
        let script = try mountScript(for: instance) + "\ncd /var/lib/trainyard\n" + run
        return [NetworkNamespacesPath.ip, "netns", "exec", instance.namespace, "unshare", "--mount", "sh", "-c", script]
    }

    /// Starts `instance`'s container; its output goes to its log.
    func start(_ number: Int) throws {
        let instance = instances[number]
        let command = try containerCommand(instance, argv(instance.service))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        FileManager.default.createFile(atPath: instance.log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: instance.log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        instances[number].process = process
    }

    /// Runs `arguments` in a new process inside `instance`'s container (a healthcheck, a client command).
    func exec(_ instance: Instance, _ arguments: [String], timeout: Duration = .seconds(20)) async throws -> (status: Int32, output: String) {
        let command = try containerCommand(instance, arguments)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let output = root.appendingPathComponent("exec-\(UUID().uuidString.prefix(8)).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        try? handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: output)
        return (process.terminationStatus, text)
    }

    /// Whether `instance`'s healthcheck command (the compose file's `test`) passes now.
    func healthy(_ instance: Instance) async throws -> Bool {
        guard let test = (services[instance.service]?["healthcheck"] as? [String: Any])?["test"] as? [String], test.first == "CMD" else {
            return false
        }
        return try await exec(instance, Array(test.dropFirst()), timeout: .seconds(5)).status == 0
    }

    /// Starts every service in dependency order, each once what it depends on is started, healthy
    /// or completed as the file asks; throws naming a service that did not get there.
    func up(timeout: Duration = .seconds(120)) async throws {
        var started = Set<String>()
        let order = try dependencyOrder()
        for service in order {
            for (dependency, condition) in dependencies(of: service) where !skipped.contains(dependency) {
                try await wait(for: dependency, condition, timeout: timeout)
            }
            for number in instances.indices where instances[number].service == service { try start(number) }
            started.insert(service)
        }
    }

    func dependencies(of service: String) -> [(String, String)] {
        switch services[service]?["depends_on"] {
        case let list as [String]: return list.map { ($0, "service_started") }
        case let map as [String: Any]:
            return map.map { ($0.key, ((($0.value as? [String: Any])?["condition"]) as? String) ?? "service_started") }.sorted { $0.0 < $1.0 }
        default: return []
        }
    }

    func dependencyOrder() throws -> [String] {
        var order: [String] = [], visiting = Set<String>()
        func visit(_ service: String) throws {
            if order.contains(service) || skipped.contains(service) { return }
            guard visiting.insert(service).inserted else { throw HarnessError("a dependency cycle through \(service)") }
            for (dependency, _) in dependencies(of: service) { try visit(dependency) }
            order.append(service)
        }
        for service in services.keys.sorted() { try visit(service) }
        return order
    }

    /// Waits until `service` meets `condition` (`service_started`, `service_healthy`, `service_completed_successfully`).
    func wait(for service: String, _ condition: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let all = instances(of: service)
            switch condition {
            case "service_completed_successfully":
                if all.allSatisfy({ $0.process.map { !$0.isRunning && $0.terminationStatus == 0 } ?? false }) { return }
                if let failed = all.first(where: { $0.process.map { !$0.isRunning && $0.terminationStatus != 0 } ?? false }) {
                    throw HarnessError("\(service) exited \(failed.process!.terminationStatus):\n\(log(failed))")
                }
            case "service_healthy":
                var healthy = true
                for instance in all where !(try await self.healthy(instance)) { healthy = false }
                if healthy { return }
            default:
                if all.allSatisfy({ $0.process?.isRunning == true }) { return }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw HarnessError("\(service) did not reach \(condition) within \(timeout)\n\(logs)")
    }

    /// Kills `instance` (SIGKILL), as a crash would.
    func kill(_ number: Int) {
        guard let process = instances[number].process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func log(_ instance: Instance) -> String { (try? String(contentsOf: instance.log, encoding: .utf8)) ?? "" }

    var logs: String {
        instances.map { "--- \($0.service)-\($0.index)\n\(log($0).suffix(3000))" }.joined(separator: "\n")
    }

    /// Stops every container (SIGTERM, then SIGKILL), removes the namespaces, the bridge and the files.
    func down() {
        for instance in instances {
            guard let process = instance.process, process.isRunning else { continue }
            process.terminate()
        }
        let deadline = Date(timeIntervalSinceNow: 5)
        while instances.contains(where: { $0.process?.isRunning == true }) && Date() < deadline { usleep(50_000) }
        for number in instances.indices { kill(number) }
        // `ip netns exec` children (the services) die with their sh; anything left in a namespace goes with it.
        for instance in instances {
            _ = try? Self.ip(["netns", "pids", instance.namespace]).split(separator: "\n").compactMap { Int32($0) }.map { Foundation.kill($0, SIGKILL) }
            _ = try? Self.ip(["netns", "del", instance.namespace])
            try? FileManager.default.removeItem(atPath: "/etc/netns/\(instance.namespace)")
        }
        _ = try? Self.ip(["link", "del", "\(prefix)br"])
        try? FileManager.default.removeItem(at: root)
    }

    // MARK: helpers

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: NetworkNamespacesPath.ip)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw HarnessError("ip \(arguments.joined(separator: " ")): \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        }
        return text
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where `ip` is.
enum NetworkNamespacesPath {
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"
}
