import ArgumentParser
import DistributedTraining
import Foundation
import TrainyardML

/// `trainyard jobs …`: the coordinator's jobs.
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, show, cancel and watch jobs; download their models.",
        subcommands: [List.self, Show.self, Cancel.self, Watch.self, Download.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The coordinator's ZeroMQ endpoint.") var coordinator = "tcp://127.0.0.1:5555"
        @Option(help: "How long to wait for the coordinator's reply (e.g. 5s).") var timeout = DurationArgument.seconds(5)
        @Option(name: .customLong("timeout-ms"), help: .hidden) var timeoutMs: Int?
        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var keys: KeysClientOptions

        func client() throws -> JobClient { try JobClient(endpoint: coordinator, timeout: timeout.or(milliseconds: timeoutMs), curve: try keys.keys()) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @OptionGroup var connection: Connection

        func run() throws {
            let jobs = try connection.client().list()
            if connection.json {
                for job in jobs { printJSON(job.jsonObject) }
                return
            }
            for line in Self.table(jobs) { print(line) }
        }

        /// One row per job under a header, every column as wide as its widest cell.
        static func table(_ jobs: [JobInfo]) -> [String] {
            let rows = jobs.map { job in
                [String(job.id), job.state.rawValue, String(job.workers), job.progress.map { "\($0.round)/\($0.totalRounds)" } ?? "-",
                 job.modelPath ?? job.reason ?? ""]
            }
            return Format.table([["ID", "STATE", "WORKERS", "ROUNDS", "MODEL"]] + rows)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job: state, workers, progress, result.")
        @Argument(help: "Job id.") var id: UInt64
        @OptionGroup var connection: Connection

        func run() throws {
            let reply = try connection.client().show(id)
            let job = reply.job
            if connection.json {
                var object = job.jsonObject
                object["history"] = (reply.history ?? []).map { entry -> [String: Any] in
                    var round: [String: Any] = ["round": entry.round, "elapsed_seconds": entry.elapsedSeconds]
                    if let valid = entry.valid { round["valid"] = valid }
                    return round
                }
                printJSON(object)
                return
            }
            print("job \(job.id): \(job.state.rawValue)\(job.reason.map { " (\($0))" } ?? "")")
            print("  data        \(job.spec.data.dataset.map { "dataset \($0), " } ?? "")\(job.spec.data.path) (label \(job.spec.label), \(job.spec.model.rawValue))")
            print("  workers     \(job.workers) shard(s) on \(job.assigned.isEmpty ? "-" : job.assigned.joined(separator: ", "))")
            if let progress = job.progress { print("  progress    round \(progress.round)/\(progress.totalRounds)") }
            if job.recoveries > 0 { print("  recoveries  \(job.recoveries)") }
            print("  traffic     \(Format.bytes(job.bytesSent)) sent, \(Format.bytes(job.bytesReceived)) received")
            if let model = job.modelPath { print("  model       \(model)") }
            if let version = job.registryVersion { print("  published   \(job.modelName ?? "?") version \(version)") }
            if let error = job.publishError { print("  not published: \(error)") }
            for (name, value) in (job.metrics ?? [:]).sorted(by: { $0.key < $1.key }) { print(Format.metricLine(name, value)) }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued or running job.")
        @Argument(help: "Job id.") var id: UInt64
        @OptionGroup var connection: Connection

        func run() throws {
            let job = try connection.client().cancel(id)
            let requested = job.state == .queued || job.state == .running
            if connection.json { printJSON(job.jsonObject) } else if requested { print("job \(id): cancellation requested") }
            // A job that had already ended cannot be cancelled: say so, and fail, so a script notices.
            if !requested { throw CommandFailure("job \(id) already \(job.state.rawValue); nothing to cancel") }
        }
    }

    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a succeeded job's model file from the coordinator (checked against its SHA-256).")
        @Argument(help: "Job id.") var id: UInt64
        @Option(help: "Output file.") var out: String
        @OptionGroup var connection: Connection

        func run() throws {
            let line = try connection.client().download(id, to: out)
            if connection.json { printJSON(["event": "downloaded", "job": id, "path": out]) } else { printError(line) }
        }
    }

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow a job: trees done, metric per round, throughput and ETA; exits when it ends.")
        @Argument(help: "Job id.") var id: UInt64
        @OptionGroup var connection: Connection

        func run() throws { try Self.follow(id, client: connection.client(), json: connection.json) }

        /// Prints progress until the job ends; fails (exit 1) unless it succeeded.
        static func follow(_ id: UInt64, client: JobClient, json: Bool) throws {
            let bar = ProgressBar()
            let showBar = !json && ProgressBar.isTerminal
            let job = try client.watch(id) { progress, job in
                let perSecond = progress.elapsedSeconds > 0 ? Double(progress.round) / progress.elapsedSeconds : 0
                let eta = perSecond > 0 ? Double(progress.totalRounds - progress.round) / perSecond : nil
                if json {
                    printJSON(["event": "round", "job": id, "round": progress.round, "total": progress.totalRounds,
                               "metric": progress.metric, "valid": progress.valid, "elapsed_seconds": progress.elapsedSeconds,
                               "rounds_per_second": perSecond, "eta_seconds": eta])
                } else if showBar {
                    bar.show(progress)
                } else {
                    print("round \(progress.round)/\(progress.totalRounds)"
                          + (progress.valid.map { "  valid \(progress.metric) \(Format.metric($0))" } ?? "")
                          + String(format: "  %.1f rounds/s", perSecond) + (eta.map { String(format: "  eta %.0fs", $0) } ?? ""))
                    fflush(nil)
                }
            }
            if showBar { bar.finish() }
            if json {
                printJSON(["event": "done", "job": job.jsonObject])
            } else {
                print("job \(id) \(job.state.rawValue)\(job.reason.map { ": \($0)" } ?? "")")
                if let model = job.modelPath { print("model written on the coordinator to \(model)") }
                for (name, value) in (job.metrics ?? [:]).sorted(by: { $0.key < $1.key }) { print(Format.metricLine(name, value)) }
            }
            guard job.state == .succeeded else { throw ExitCode.failure }
        }
    }
}
