import Foundation
import TrainyardProtocol

/// Renders a ``TrainyardProtocol/ClusterStatus`` for people (a table) or machines (JSON).
struct ClusterStatusReport {
    let status: ClusterStatus

    init(_ status: ClusterStatus) { self.status = status }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(status)) ?? Data(), as: UTF8.self)
    }

    func table() -> String {
        let alive = status.workers.filter { $0.state == .alive }.count
        var lines = ["coordinator \(status.coordinatorID) · protocol v\(status.protocolVersion) · up \(format(status.uptimeSeconds)) · \(alive) alive of \(status.workers.count) workers"]
        let header = ["WORKER", "STATE", "HOST", "CORES", "MEMORY", "LAST SEEN", "REGISTRATIONS"]
        let rows = status.workers.map { worker in
            [worker.workerID, worker.state.rawValue, worker.host, String(worker.cores),
             Format.bytes(worker.memoryBytes),
             format(worker.lastSeenSecondsAgo) + " ago", String(worker.registrations)]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        for row in [header] + rows {
            lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : String(format: "%.0f min", seconds / 60)
    }
}
