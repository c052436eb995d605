import Foundation
import TrainyardProtocol

/// Asks a coordinator for its status through the real CLI (`trainyard cluster status --json`).
public struct ClusterProbe: Sendable {
    public let endpoint: String
    public let wrapper: [String]

    public init(endpoint: String, wrapper: [String] = []) {
        self.endpoint = endpoint
        self.wrapper = wrapper
    }

    /// The status, or `nil` if the coordinator did not answer.
    public func status() async -> ClusterStatus? {
        guard let result = try? await TrainyardProcess.run(
            ["cluster", "status", "--coordinator", endpoint, "--json", "--timeout", "1s"],
            wrapper: wrapper, timeout: .seconds(10)),
            result.status == 0 else { return nil }
        return try? JSONDecoder().decode(ClusterStatus.self, from: Data(result.stdout.utf8))
    }

    /// Workers in `state`, by id.
    public func workers(in state: WorkerStatus.State) async -> [String: WorkerStatus]? {
        guard let status = await status() else { return nil }
        return Dictionary(uniqueKeysWithValues: status.workers.filter { $0.state == state }.map { ($0.workerID, $0) })
    }
}
