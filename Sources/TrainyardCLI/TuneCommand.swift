import ArgumentParser
import DistributedTraining
import Foundation
import Tuning

/// `trainyard tune …`: hyperparameter studies, on this machine (`tune run`, the default) or on
/// a coordinator (`submit tune`, then `tune list|show|cancel|watch`).
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Search hyperparameters: on this machine (run, the default), or follow studies on a coordinator.",
        subcommands: [TuneRunCommand.self, List.self, Show.self, Cancel.self, Watch.self],
        defaultSubcommand: TuneRunCommand.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a coordinator's studies, newest first.")
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let studies = try connection.client().list().filter { $0.study != nil }
            if connection.json {
                for job in studies { printJSON(TuneCommand.jsonObject(job, trials: nil)) }
                return
            }
            let rows = studies.map { job -> [String] in
                let summary = job.studySummary ?? StudySummary()
                let done = summary.complete + summary.pruned + summary.failed
                return [String(job.id), job.state.rawValue, job.study!.strategy.rawValue, "\(done)/\(job.study!.trials)",
                        String(summary.running), summary.bestValue.map { "\(Format.metric($0)) (trial \(summary.bestTrial!))" } ?? "-",
                        job.study!.metric]
            }
            for line in Format.table([["ID", "STATE", "STRATEGY", "DONE", "RUNNING", "BEST", "METRIC"]] + rows) { print(line) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a study: its plan, every trial, the best one.")
        @Argument(help: "The study's job id.") var id: UInt64
        @Option(help: "Sort trials by: trial or value (best first).") var sort = "trial"
        @OptionGroup var connection: JobsCommand.Connection

        func validate() throws {
            guard ["trial", "value"].contains(sort) else { throw ValidationError("--sort must be trial or value") }
        }

        func run() throws {
            let reply = try connection.client().show(id)
            guard let plan = reply.job.study else { throw CommandFailure("job \(id) is not a study (see `trainyard jobs show \(id)`)") }
            var trials = reply.trials ?? []
            if sort == "value" {
                let direction = plan.direction ?? .natural(for: plan.metric)
                trials.sort { a, b in
                    switch (a.value, b.value) {
                    case let (x?, y?): direction.isBetter(x, than: y) || (x == y && a.trial < b.trial)
                    case (_?, nil): true
                    default: false
                    }
                }
            }
            if connection.json {
                printJSON(TuneCommand.jsonObject(reply.job, trials: trials))
                return
            }
            let job = reply.job
            let summary = job.studySummary ?? StudySummary()
            print("study \(job.id): \(job.state.rawValue)\(job.reason.map { " (\($0))" } ?? "")")
            print("  data        \(job.spec.data.dataset.map { "dataset \($0), " } ?? "")\(job.spec.data.path) (label \(job.spec.label))")
            print("  strategy    \(plan.strategy.rawValue), \(plan.trials) trials, \(plan.parallel) at a time, "
                  + "\(plan.workersPerTrial) worker\(plan.workersPerTrial == 1 ? "" : "s") each; \(plan.metric)")
            print("  trials      \(summary.complete) complete, \(summary.pruned) pruned, \(summary.failed) failed, \(summary.running) running")
            print("  shipped     \(Format.bytes(summary.shardBytes)) of shards for all trials")
            if let best = summary.bestTrial, let value = summary.bestValue { print("  best        trial \(best), \(plan.metric) \(Format.metric(value))") }
            if let model = job.modelPath { print("  model       \(model)") }
            if let version = job.registryVersion { print("  published   \(job.modelName ?? "?") version \(version)") }
            let now = Date().timeIntervalSince1970
            let rows = trials.map { trial -> [String] in
                [String(trial.trial), trial.state.rawValue, trial.value.map(Format.metric) ?? "-",
                 trial.rungs.last.map { String($0.round) } ?? "-", trial.seconds(now: now).map { String(format: "%.1f", $0) } ?? "-",
                 trial.workers.joined(separator: ","), trial.job.map(String.init) ?? "-",
                 TuneCommand.parameters(trial.parameters) + (trial.reason.map { "  (\($0))" } ?? "")]
            }
            print("")
            for line in Format.table([["TRIAL", "STATE", "VALUE", "ROUND", "SECONDS", "WORKERS", "JOB", "PARAMETERS"]] + rows) { print(line) }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a study: running trials stop at their next request, no new trial starts.")
        @Argument(help: "The study's job id.") var id: UInt64
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let job = try connection.client().cancel(id)
            let requested = job.state == .queued || job.state == .running
            if connection.json { printJSON(job.jsonObject) } else if requested { print("study \(id): cancellation requested") }
            if !requested { throw CommandFailure("study \(id) already \(job.state.rawValue); nothing to cancel") }
        }
    }

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow a study: each trial as it ends, trials done/running/pruned and the best so far; exits when it ends.")
        @Argument(help: "The study's job id.") var id: UInt64
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws { try Self.follow(id, client: connection.client(), json: connection.json) }

        /// Prints trials as they end until the study ends; fails (exit 1) unless it succeeded.
        static func follow(_ id: UInt64, client: JobClient, json: Bool) throws {
            var printed = Set<Int>()
            var lastStatus = ""
            let reply = try client.follow(id) { reply in
                let metric = reply.job.study?.metric ?? "value"
                for trial in reply.trials ?? [] where trial.state != .running && !printed.contains(trial.trial) {
                    printed.insert(trial.trial)
                    if json {
                        printJSON(["event": "trial", "study": id, "trial": trial.trial, "state": trial.state.rawValue, "value": trial.value,
                                   "rounds": trial.rungs.last?.round, "seconds": trial.seconds(now: 0), "job": trial.job,
                                   "workers": trial.workers, "reason": trial.reason, "parameters": trial.parameters.mapValues(\.description)])
                    } else {
                        print(TuneCommand.line(trial.trial, state: trial.state, value: trial.value, rounds: trial.rungs.last?.round,
                                               seconds: trial.seconds(now: 0) ?? 0, parameters: trial.parameters, metric: metric)
                              + (trial.reason.map { "  (\($0))" } ?? ""))
                    }
                }
                let status = TuneCommand.status(reply.job)
                if !json && status != lastStatus {
                    print(status)
                    lastStatus = status
                }
                fflush(nil)
            }
            let job = reply.job
            if json {
                printJSON(["event": "done"].merging(TuneCommand.jsonObject(job, trials: nil)) { $1 })
            } else {
                print("study \(id) \(job.state.rawValue)\(job.reason.map { ": \($0)" } ?? "")")
                if let model = job.modelPath { print("best model written on the coordinator to \(model)") }
                if let version = job.registryVersion { print("published as \(job.modelName ?? "?") version \(version)") }
            }
            guard job.state == .succeeded else { throw ExitCode.failure }
        }
    }

    // MARK: formatting, shared with `tune run`

    /// `trials: 3/20 done (2 complete, 1 pruned, 0 failed), 2 running; best valid.auc 0.8812 (trial 1)`.
    static func status(_ job: JobInfo) -> String {
        let summary = job.studySummary ?? StudySummary()
        let done = summary.complete + summary.pruned + summary.failed
        let best = summary.bestValue.map { "; best \(job.study?.metric ?? "") \(Format.metric($0)) (trial \(summary.bestTrial!))" } ?? ""
        return "trials: \(done)/\(job.study?.trials ?? 0) done (\(summary.complete) complete, \(summary.pruned) pruned, "
            + "\(summary.failed) failed), \(summary.running) running\(best)"
    }

    static func jsonObject(_ job: JobInfo, trials: [TrialInfo]?) -> [String: Any?] {
        var object = job.jsonObject
        let summary = job.studySummary ?? StudySummary()
        object["study"] = ["strategy": job.study?.strategy.rawValue, "trials": job.study?.trials, "parallel": job.study?.parallel,
                           "metric": job.study?.metric, "workers_per_trial": job.study?.workersPerTrial,
                           "complete": summary.complete, "pruned": summary.pruned, "failed": summary.failed, "running": summary.running,
                           "best_trial": summary.bestTrial, "best_value": summary.bestValue, "shard_bytes": summary.shardBytes] as [String: Any?]
        if let trials {
            object["trials"] = trials.map { trial -> [String: Any?] in
                ["trial": trial.trial, "state": trial.state.rawValue, "value": trial.value, "job": trial.job, "workers": trial.workers,
                 "reason": trial.reason, "started_at": trial.startedAt, "finished_at": trial.finishedAt, "shard_bytes": trial.shardBytes,
                 "rungs": trial.rungs.map { ["round": $0.round, "value": $0.value] },
                 "parameters": trial.parameters.mapValues(\.description)]
            }
        }
        return object
    }

    static func parameters(_ parameters: [String: ParameterValue]) -> String {
        parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.format($0.value))" }.joined(separator: " ")
    }

    static func format(_ value: ParameterValue) -> String {
        if case .double(let number) = value { return String(format: "%.4g", number) }
        return value.description
    }

    static func line(_ id: Int, state: TrialState, value: Double?, rounds: Int?, seconds: Double,
                     parameters: [String: ParameterValue], metric: String) -> String {
        let rounds = rounds.map { " \($0) rounds" } ?? ""
        return String(format: "trial %3d  %-8@ %@ %@  %.1f s%@  ", id, state.rawValue as NSString, metric as NSString,
                      Format.metric(value ?? .nan) as NSString, seconds, rounds as NSString) + Self.parameters(parameters)
    }
}
