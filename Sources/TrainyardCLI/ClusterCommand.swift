import ArgumentParser
import Coordinator
import Foundation
import ZeroMQ

/// `trainyard cluster …`: questions for a running coordinator.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Inspect a running cluster.",
        subcommands: [Status.self]
    )

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the coordinator's workers with their state and last-seen time."
        )

        @Option(help: "The coordinator's ZeroMQ endpoint.")
        var coordinator = "tcp://127.0.0.1:5555"

        @Flag(help: "Print the status as JSON.")
        var json = false

        @Option(help: "How long to wait for the coordinator (e.g. 3s, 500ms).")
        var timeout = DurationArgument.seconds(3)
        @Option(name: .customLong("timeout-ms"), help: .hidden) var timeoutMs: Int?

        @OptionGroup var keys: KeysClientOptions

        func run() throws {
            let client = CoordinatorClient(endpoint: coordinator, context: try ZMQContext(), curve: try keys.keys())
            let status: ClusterStatusReport
            do {
                status = ClusterStatusReport(try client.status(timeout: timeout.or(milliseconds: timeoutMs)))
            } catch {
                throw CommandFailure(error.description)
            }
            print(json ? status.json() : status.table())
        }
    }
}
