import ArgumentParser
import DistributedTraining
import Foundation
import TrainyardML

/// `trainyard submit train`: queue a distributed training job on a coordinator.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job to a coordinator.",
        subcommands: [Train.self]
    )

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a training job that runs across --workers workers.",
            discussion: """
            Takes the same options as `trainyard train`. Paths are made absolute here and are \
            read by the coordinator, which ships each worker its shard; the model is written to \
            the coordinator's --state-dir. The job is validated before it is queued.
            """
        )

        @Option(help: "The coordinator's ZeroMQ endpoint.") var coordinator = "tcp://127.0.0.1:5555"
        @Option(help: "Workers (shards) to train on.") var workers = 1
        @Option(help: "Registry name to publish the model under (default: the data file's name).") var modelName: String?
        @OptionGroup var training: TrainingOptions
        @Flag(help: "Follow the job until it ends (as `jobs watch`).") var wait = false
        @Option(help: "Wait for the job, then download its model to this file (as `jobs download`).") var out: String?
        @Flag(help: "Print JSON instead of text.") var json = false
        @Option(help: "How long to wait for the coordinator's reply (e.g. 10s).") var timeout = DurationArgument.seconds(10)
        @Option(name: .customLong("timeout-ms"), help: .hidden) var timeoutMs: Int?
        @OptionGroup var keys: KeysClientOptions

        func run() throws {
            var spec = training.spec
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : cwd + "/" + path }
            spec.data.path = absolute(spec.data.path)
            spec.validationPath = spec.validationPath.map(absolute)
            let client = try JobClient(endpoint: coordinator, timeout: timeout.or(milliseconds: timeoutMs), curve: try keys.keys())
            let job = try client.submit(spec, workers: workers, modelName: modelName)
            if json { printJSON(["event": "submitted", "job": job.jsonObject]) } else {
                print("job \(job.id) queued (\(workers) worker\(workers == 1 ? "" : "s"))")
            }
            guard wait || out != nil else { return }
            try JobsCommand.Watch.follow(job.id, client: client, json: json)
            guard let out else { return }
            let line = try client.download(job.id, to: out)
            if json { printJSON(["event": "downloaded", "job": job.id, "path": out]) } else { print(line) }
        }
    }
}
