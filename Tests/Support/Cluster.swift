import Foundation
import TrainyardProtocol

/// A coordinator and workers started as real processes, stopped (SIGKILL) at the end.
public final class Cluster: @unchecked Sendable {
    /// Heartbeat settings short enough for tests: dead after 3 × 200 ms.
    public static let heartbeatArguments = ["--heartbeat-interval", "200ms", "--heartbeat-liveness", "3"]
    public static let deadAfter: Duration = .milliseconds(600)

    public let endpoint: String
    public let wrapper: [String]
    public private(set) var coordinator: TrainyardProcess?
    public private(set) var workers: [String: TrainyardProcess] = [:]
    public let probe: ClusterProbe

    /// - Parameters:
    ///   - bind: the coordinator's bind endpoint.
    ///   - connect: what workers and the probe connect to (defaults to `bind`).
    /// The coordinator's --state-dir: a fresh temporary directory per cluster.
    public let stateDirectory: String
    /// Extra coordinator arguments (e.g. `--worker-wait 2s`).
    public var coordinatorArguments: [String] = []
    /// The coordinator's `--data-root`s: by default the temporary directory, where tests write their datasets.
    public var dataRoots: [String] = [FileManager.default.temporaryDirectory.path]

    public init(bind: String, connect: String? = nil, probeEndpoint: String? = nil, wrapper: [String] = []) {
        stateDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("trainyard-state-\(UUID().uuidString.prefix(8))").path
        self.bindEndpoint = bind
        self.endpoint = connect ?? bind
        self.wrapper = wrapper
        self.probe = ClusterProbe(endpoint: probeEndpoint ?? connect ?? bind, wrapper: wrapper)
    }

    private let bindEndpoint: String

    /// Starts (or restarts) the coordinator, optionally inside a namespace wrapper.
    public func startCoordinator(wrapper: [String]? = nil) throws {
        coordinator = try TrainyardProcess(["coordinator", "--bind", bindEndpoint, "--log-level", "debug",
                                            "--state-dir", stateDirectory]
                                           + dataRoots.flatMap { ["--data-root", $0] }
                                           + Self.heartbeatArguments + coordinatorArguments, wrapper: wrapper ?? self.wrapper)
    }

    /// Starts a worker with a fixed id.
    @discardableResult
    public func startWorker(_ id: String, extra: [String] = [], connect: String? = nil,
                            wrapper: [String]? = nil) throws -> TrainyardProcess {
        let worker = try TrainyardProcess(["worker", "--connect", connect ?? endpoint, "--id", id, "--cores", "1",
                                           "--reconnect-max", "1s", "--log-level", "debug"]
                                          + Self.heartbeatArguments + extra, wrapper: wrapper ?? self.wrapper)
        workers[id] = worker
        return worker
    }

    /// Waits until exactly `ids` are alive; returns the status rows.
    public func waitUntilAlive(_ ids: Set<String>, timeout: Duration = .seconds(15)) async -> [String: WorkerStatus]? {
        await eventually(timeout: timeout) { () -> [String: WorkerStatus]? in
            guard let alive = await probe.workers(in: .alive), Set(alive.keys) == ids else { return nil }
            return alive
        }?.value
    }

    /// Logs of every process, for failure messages.
    public var logs: String {
        ([("coordinator", coordinator)] + workers.sorted { $0.key < $1.key }.map { ($0.key, Optional($0.value)) })
            .map { "--- \($0.0)\n\($0.1?.log ?? "")" }.joined(separator: "\n")
    }

    public func stopAll() {
        for worker in workers.values { worker.stop() }
        coordinator?.stop()
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }
}
