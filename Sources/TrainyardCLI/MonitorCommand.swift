import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Serving

/// `trainyard monitor drift`: a replica's recent traffic against its model's training baseline.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Watch a serving replica: drift of its recent traffic from the training data.",
        subcommands: [Drift.self]
    )

    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per-feature PSI, KS, missing and unseen-category rates of a replica's recent rows against the training baseline.",
            discussion: """
            PSI below 0.1 is stable, 0.1 to 0.2 worth watching, 0.2 and above drift. The replica compares its most recent \
            rows (`serve --drift-window-rows`, `--drift-window`) with the baseline stored in the model file at training time. \
            Exits 3 when a feature or the predictions drifted, so a script or a cron job can alert.
            """
        )
        @Option(help: "The replica's URL.") var url = "http://127.0.0.1:9000"
        @Option(help: "The served model's name.") var model: String
        @Flag(help: "Print the report as JSON.") var json = false

        func run() async throws {
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { _ = client.shutdown() }
            let address = url.hasSuffix("/") ? String(url.dropLast()) : url
            let response: HTTPClientResponse
            let bytes: ByteBuffer
            do {
                response = try await client.execute(HTTPClientRequest(url: address + "/v2/models/\(model)/drift"), timeout: .seconds(10))
                bytes = try await response.body.collect(upTo: 16 << 20)
            } catch {
                throw CommandFailure("cannot reach the replica at \(address): \(error)")
            }
            guard response.status == .ok else {
                let message = (try? JSONDecoder().decode([String: String].self, from: Data(buffer: bytes)))?["error"] ?? "HTTP \(response.status.code)"
                throw CommandFailure(message)
            }
            let report = try JSONDecoder().decode(DriftReport.self, from: Data(buffer: bytes))
            if json { print(String(buffer: bytes)) } else { for line in Self.lines(report) { print(line) } }
            let drifted = (report.features + [report.prediction]).contains { ($0.psi ?? 0) >= DriftReport.driftThreshold }
            if drifted { throw ExitCode(3) }
        }

        static func lines(_ report: DriftReport) -> [String] {
            func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
            func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
            func status(_ psi: Double?) -> String {
                guard let psi else { return "" }
                return psi >= DriftReport.driftThreshold ? "DRIFT" : psi >= DriftReport.watchThreshold ? "watch" : "ok"
            }
            let rows = (report.features + [report.prediction]).map { f in
                [f.name, f.kind.rawValue, number(f.psi), number(f.ks), percent(f.missingRate), percent(f.baselineMissingRate),
                 percent(f.unseenRate), status(f.psi)]
            }
            return ["\(report.model) version \(report.version): \(report.rows) recent rows (window \(report.windowRows) rows, "
                    + "\(Int(report.windowSeconds)) s) against \(report.baselineRows) training rows"]
                + Format.table([["FEATURE", "TYPE", "PSI", "KS", "MISSING", "TRAINING", "UNSEEN", ""]] + rows)
        }
    }
}
