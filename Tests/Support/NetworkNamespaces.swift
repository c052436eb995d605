import Foundation

/// Test hosts as Linux network namespaces: one coordinator namespace joined to each worker
/// namespace by its own veth pair (a point-to-point link with a /30-style /24 subnet).
///
/// Needs root and iproute2; ``available`` says whether this machine can create them.
/// Addresses are private to the namespaces and never leave the machine.
public final class NetworkNamespaces: @unchecked Sendable {
    public let prefix: String
    public let coordinatorNamespace: String
    public private(set) var workerNamespaces: [String] = []

    /// Whether namespaces can be created here (root, `ip` present, kernel allows it).
    public static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: ipPath) else { return false }
        let probe = "typrobe\(getpid())"
        defer { _ = try? run(["netns", "del", probe]) }
        return (try? run(["netns", "add", probe])) != nil
    }()

    static let ipPath = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"

    /// Creates the coordinator namespace and `workers` worker namespaces.
    /// Worker `i` (1-based) reaches the coordinator at ``coordinatorAddress(forWorker:)``.
    public init(workers: Int) throws {
        prefix = "ty\(getpid() % 100_000)"
        coordinatorNamespace = "\(prefix)c"
        do {
            try Self.run(["netns", "add", coordinatorNamespace])
            try Self.run(["-n", coordinatorNamespace, "link", "set", "lo", "up"])
            for i in 1...workers {
                let namespace = "\(prefix)w\(i)"
                try Self.run(["netns", "add", namespace])
                workerNamespaces.append(namespace)
                try Self.run(["-n", namespace, "link", "set", "lo", "up"])
                let coordinatorSide = linkName(worker: i), workerSide = "\(prefix)v\(i)"
                try Self.run(["link", "add", coordinatorSide, "netns", coordinatorNamespace,
                              "type", "veth", "peer", "name", workerSide, "netns", namespace])
                try Self.run(["-n", coordinatorNamespace, "addr", "add", "\(coordinatorAddress(forWorker: i))/24", "dev", coordinatorSide])
                try Self.run(["-n", namespace, "addr", "add", "10.231.\(i).2/24", "dev", workerSide])
                try Self.run(["-n", coordinatorNamespace, "link", "set", coordinatorSide, "up"])
                try Self.run(["-n", namespace, "link", "set", workerSide, "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    /// The coordinator's address on worker `i`'s link.
    public func coordinatorAddress(forWorker i: Int) -> String { "10.231.\(i).1" }

    /// The coordinator-side interface of worker `i`'s link.
    public func linkName(worker i: Int) -> String { "\(prefix)c\(i)" }

    /// The command prefix that runs a program inside `namespace`.
    public func exec(in namespace: String) -> [String] { [Self.ipPath, "netns", "exec", namespace] }

    /// Takes worker `i`'s link down or up: a network partition without killing anything.
    public func setLink(worker i: Int, up: Bool) throws {
        try Self.run(["-n", coordinatorNamespace, "link", "set", linkName(worker: i), up ? "up" : "down"])
    }

    /// Deletes every namespace (their veth links go with them).
    public func remove() {
        for namespace in workerNamespaces + [coordinatorNamespace] {
            _ = try? Self.run(["netns", "del", namespace])
        }
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipPath)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw NamespaceError(command: "ip " + arguments.joined(separator: " "), message: message)
        }
        return ""
    }

    public struct NamespaceError: Error, CustomStringConvertible {
        public let command: String
        public let message: String
        public var description: String { "\(command) failed: \(message)" }
    }
}
