import ArgumentParser
import DistributedTraining
import Foundation
import TrainyardML
import Tuning

/// `trainyard submit train`: queue a distributed training job on a coordinator.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job to a coordinator.",
        subcommands: [Train.self, Tune.self, Predict.self]
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
            if spec.data.dataset == nil { spec.data.path = absolute(spec.data.path) }
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

    struct Tune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a hyperparameter study whose trials run in parallel on the coordinator's workers.",
            discussion: """
            Takes the options of `trainyard train` as every trial's base and those of `trainyard tune` for the study \
            (the search space is read here and sent with the study). Each trial is a job of its own on \
            --workers-per-trial workers (1: the worker grows whole trees); up to --parallel run at once. Each worker \
            receives the rows once per study and keeps them for the next trials. The best trial's model becomes the \
            study's, published to the registry with its lineage. Follow it with `trainyard tune watch ID`, list trials \
            with `tune show ID`, stop it with `tune cancel ID`. A restarted coordinator resumes the study: finished \
            trials are kept, running ones continue from their last saved round.
            """
        )

        @Option(help: "The coordinator's ZeroMQ endpoint.") var coordinator = "tcp://127.0.0.1:5555"
        @Option(help: "Registry name to publish the best model under (default: the data file's name).") var modelName: String?
        @OptionGroup var training: TrainingOptions
        @OptionGroup var study: StudyOptions
        @Option(help: "Workers each trial trains on.") var workersPerTrial = 1
        @Option(help: "A trial's full budget of boosting rounds (the same as --n-trees).") var maxRounds: Int?
        @Flag(help: "Follow the study until it ends (as `tune watch`).") var wait = false
        @Option(help: "Wait for the study, then download the best model to this file.") var out: String?
        @Flag(help: "Print JSON instead of text.") var json = false
        @Option(help: "How long to wait for the coordinator's reply (e.g. 10s).") var timeout = DurationArgument.seconds(10)
        @OptionGroup var keys: KeysClientOptions

        func run() throws {
            var spec = training.spec
            if let maxRounds { spec.gbdt.trees = maxRounds }
            // Every trial is judged on the same validation rows.
            if spec.validationPath == nil && spec.validFraction == nil { spec.validFraction = 0.2 }
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : cwd + "/" + path }
            if spec.data.dataset == nil { spec.data.path = absolute(spec.data.path) }
            spec.validationPath = spec.validationPath.map(absolute)
            let plan = try study.plan(workersPerTrial: workersPerTrial)
            // Refused here as the coordinator would, before anything is sent.
            do { try plan.check(rounds: StudyPlan.budget(of: spec)) } catch { throw CommandFailure("\(study.space): \(error)") }
            let client = try JobClient(endpoint: coordinator, timeout: timeout.duration, curve: try keys.keys())
            let job = try client.submit(spec, workers: workersPerTrial, modelName: modelName, study: plan)
            if json { printJSON(["event": "submitted", "job": job.jsonObject]) } else {
                print("study \(job.id) queued (\(plan.trials) trials, \(plan.parallel) at a time, \(plan.strategy.rawValue))")
            }
            guard wait || out != nil else { return }
            try TuneCommand.Watch.follow(job.id, client: client, json: json)
            guard let out else { return }
            let line = try client.download(job.id, to: out)
            if json { printJSON(["event": "downloaded", "job": job.id, "path": out]) } else { print(line) }
        }
    }

    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score a dataset with a registry model across workers (batch transform) and download the predictions.",
            discussion: """
            The coordinator resolves --model in its registry (NAME is NAME@production; NAME@staging an alias, NAME@3 a \
            version; the version is pinned when the job is queued), cuts the data into slices of whole CSV records and \
            has the workers score them; the output keeps the input's row order: the --keep columns, then the \
            predictions as `trainyard predict` writes them. A worker lost mid-job hands its slices to the others; a row \
            that cannot be read fails the job, naming its line.
            """
        )

        @Option(help: "The coordinator's ZeroMQ endpoint.") var coordinator = "tcp://127.0.0.1:5555"
        @Option(help: "Registry model: NAME (its production alias), NAME@ALIAS or NAME@VERSION.") var model: String
        @Option(help: "A dataset of the registry: NAME or NAME@VERSION.") var dataset: String?
        @Option(help: "Or a CSV file on the coordinator.") var data: String?
        @Option(help: "Workers to score on.") var workers = 1
        @Option(help: ArgumentHelp("Input columns copied into the output before the predictions (comma-separated).", valueName: "columns"))
        var keep: String?
        @Option(help: "Where to write the predictions (CSV), or - for standard output.") var out: String
        @Flag(help: "Print JSON instead of text.") var json = false
        @Option(help: "How long to wait for the coordinator's reply (e.g. 10s).") var timeout = DurationArgument.seconds(10)
        @OptionGroup var keys: KeysClientOptions

        func validate() throws {
            guard (dataset == nil) != (data == nil) else { throw ValidationError("give --dataset NAME[@VERSION] or --data FILE") }
        }

        func run() throws {
            let cwd = FileManager.default.currentDirectoryPath
            var source = DatasetSource(path: data.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } ?? "", format: "csv")
            source.dataset = dataset
            let columns = (keep ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var request = JobSubmit(spec: TrainingSpec(data: source, label: ""), workers: workers)
            request.predict = BatchPrediction(model: model, keep: columns)
            let client = try JobClient(endpoint: coordinator, timeout: timeout.duration, curve: try keys.keys())
            let job = try client.call(.jobSubmit, request, as: JobReply.self).job
            let pinned = "\(job.predict?.reference.name ?? model) version \(job.predict?.modelVersion.map(String.init) ?? "?")"
            if json { printJSON(["event": "submitted", "job": job.jsonObject]) } else { printError("job \(job.id) queued: \(pinned) on \(workers) worker\(workers == 1 ? "" : "s")") }
            var printed = -1
            let start = ContinuousClock.now
            let final = try client.follow(job.id) { reply in
                guard let progress = reply.job.progress, progress.round != printed else { return }
                printed = progress.round
                let rows = reply.job.predict?.rowsDone ?? 0
                if json {
                    printJSON(["event": "progress", "job": job.id, "slices": progress.round, "total_slices": progress.totalRounds, "rows": rows])
                } else {
                    printError("  \(progress.round)/\(progress.totalRounds) slices, \(rows) rows")
                }
            }.job
            guard final.state == .succeeded else {
                throw CommandFailure("job \(job.id) \(final.state.rawValue)\(final.reason.map { ": \($0)" } ?? "")")
            }
            let done = try client.output(job.id, to: out)
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            let rows = done.predict?.rows ?? 0
            if json {
                printJSON(["event": "done", "job": job.id, "rows": rows, "out": out, "seconds": seconds])
            } else {
                printError("scored \(rows) rows with \(pinned) in \(Format.seconds(seconds))\(out == "-" ? "" : "; wrote \(out)")")
            }
        }
    }
}
