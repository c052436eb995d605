import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// `trainyard health`: one GET, exit 0 on a 2xx answer — a container healthcheck in an image
/// without curl or wget.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "GET a URL and exit 0 if it answers 2xx (for container healthchecks).",
        discussion: "Prints nothing on success; on failure one line saying what answered (or why nothing did) and exits 1."
    )

    @Option(help: "The URL to GET, e.g. http://127.0.0.1:9000/v2/health/live.") var url: String
    @Option(help: "How long to wait for the answer (e.g. 2s).") var timeout = DurationArgument.seconds(2)

    func run() async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let status: UInt
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.duration / .nanoseconds(1))))
            status = response.status.code
            _ = try? await response.body.collect(upTo: 1 << 20)
        } catch {
            throw CommandFailure("\(url): no answer (\(error))")
        }
        guard (200..<300).contains(status) else { throw CommandFailure("\(url) answered \(status)") }
    }
}
