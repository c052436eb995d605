import ArgumentParser
import DistributedTraining
import Foundation

/// `trainyard pipeline …`: pipelines on a coordinator — from a new dataset version to a promoted model.
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Apply, list and run pipelines: dataset → quality gate → train or tune → evaluation gate → register → approve → promote.",
        discussion: """
        A pipeline file (YAML, see examples/churn.pipeline.yaml) names a registry dataset and the job to train \
        on it. The coordinator starts a run for every new version of the dataset (and on the schedule, and on \
        `pipeline run`); a run that fails or stops at a gate leaves the alias where it was. Needs a coordinator \
        with a registry (--registry or --registry-listen).
        """,
        subcommands: [Apply.self, List.self, Show.self, Run.self, Runs.self]
    )

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or update a pipeline from its YAML file (its runs stay).")
        @Argument(help: "The pipeline file (YAML).") var file: String
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let spec = try PipelineFile.read(file)
            let reply = try connection.client().call(.pipelineApply, PipelineApply(spec: spec), as: PipelineReply.self)
            if connection.json { return printCodable(reply) }
            let job = spec.job.study.map { "tune (\($0.strategy.rawValue), \($0.trials) trials)" }
                ?? "train \(spec.job.spec.model.rawValue) on \(spec.job.workers) worker\(spec.job.workers == 1 ? "" : "s")"
            print("pipeline \(spec.name) \(reply.change ?? "applied"): dataset \(spec.dataset) → \(job) → \(spec.evaluation.metric) gate "
                  + "→ \(spec.model), approval \(spec.approval.rawValue) → \(spec.alias)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pipelines with their latest run.")
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let pipelines = try connection.client().call(.pipelineList, PipelineRequest(name: ""), as: PipelineListReply.self).pipelines
            if connection.json { return pipelines.forEach { printCodable($0) } }
            let rows = pipelines.map { info in
                [info.spec.name, info.spec.dataset, info.seenVersion.map { "\($0)" } ?? "-", info.spec.model + "@" + info.spec.alias,
                 info.lastRun.map { "\($0.id) \($0.state.rawValue)" } ?? "-"]
            }
            for line in Format.table([["NAME", "DATASET", "SEEN", "MODEL", "LAST RUN"]] + rows) { print(line) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a pipeline: its spec and latest run.")
        @Argument(help: "Pipeline name.") var name: String
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let info = try connection.client().call(.pipelineShow, PipelineRequest(name: name), as: PipelineReply.self).pipeline
            if connection.json { return printCodable(info) }
            let spec = info.spec
            print("pipeline \(spec.name): dataset \(spec.dataset) (seen up to version \(info.seenVersion.map(String.init) ?? "none"))")
            var triggers = spec.triggers.newVersion ? ["new dataset versions"] : []
            if let every = spec.triggers.everySeconds { triggers.append("every \(Format.seconds(every))") }
            print("  triggers: \(triggers.isEmpty ? "manual only" : triggers.joined(separator: ", "))")
            print("  job: \(spec.job.study.map { "study (\($0.strategy.rawValue), \($0.trials) trials)" } ?? "train") "
                  + "\(spec.job.spec.model.rawValue), label \(spec.job.spec.label)")
            let gate = spec.evaluation
            print("  evaluate: \(gate.metric) on \(Int(gate.holdout * 100)) % held out"
                  + (gate.threshold.map { ", threshold \($0)" } ?? "") + (gate.maxRegression.map { ", max regression \($0)" } ?? ""))
            print("  register: \(spec.model), approval \(spec.approval.rawValue), promote to \(spec.alias)")
            if let run = info.lastRun { print("last run:"); RunShow.describe(run) }
        }
    }

    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a pipeline's runs, newest first.")
        @Argument(help: "Pipeline name.") var name: String
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let runs = try connection.client().call(.pipelineRuns, PipelineRequest(name: name), as: PipelineRunsReply.self).runs
            if connection.json { return runs.forEach { printCodable($0) } }
            let rows = runs.map { run in
                [String(run.id), run.state.rawValue, run.trigger.rawValue, run.dataset ?? "-", run.modelVersion.map { "v\($0)" } ?? "-",
                 run.reason ?? ""]
            }
            for line in Format.table([["RUN", "STATE", "TRIGGER", "DATASET", "MODEL", "REASON"]] + rows) { print(line) }
        }
    }

    /// `pipeline run NAME` starts a run; `pipeline run show|watch|cancel ID` look at one.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a run now (pipeline run NAME), or show, watch or cancel one (pipeline run show ID).",
            subcommands: [Start.self, RunShow.self, Watch.self, Cancel.self],
            defaultSubcommand: Start.self
        )
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a run of a pipeline now.")
        @Argument(help: "Pipeline name.") var name: String
        @Option(help: "The dataset version to run on, NAME@VERSION (default: the latest).") var dataset: String?
        @Flag(help: "Follow the run until it ends; exit non-zero unless it succeeds.") var wait = false
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let client = try connection.client()
            let run = try client.call(.pipelineRun, PipelineRequest(name: name, dataset: dataset), as: PipelineRunReply.self).run
            if connection.json { printCodable(run) } else { print("pipeline run \(run.id) queued (\(name)\(dataset.map { " on \($0)" } ?? ""))") }
            if wait { try Watch.follow(run.id, client: client, json: connection.json) }
        }
    }

    struct RunShow: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a run: each step's state, timings, outputs and reason.")
        @Argument(help: "Run id.") var id: UInt64
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let reply = try connection.client().call(.pipelineRunShow, PipelineRunRequest(id: id), as: PipelineRunReply.self)
            if connection.json { return printCodable(reply) }
            Self.describe(reply.run)
        }

        static func describe(_ run: PipelineRunInfo) {
            print("run \(run.id) of \(run.pipeline): \(run.state.rawValue) (\(run.trigger.rawValue)\(run.dataset.map { ", dataset \($0)" } ?? ""))")
            for step in run.steps {
                let seconds = step.startedAt.flatMap { start in step.finishedAt.map { Format.seconds($0 - start) } }
                print("  \(step.name.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(step.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))"
                      + (seconds.map { " \($0)" } ?? "") + step.detail())
            }
        }
    }

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a run until it ends; exit non-zero unless it succeeds.")
        @Argument(help: "Run id.") var id: UInt64
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws { try Self.follow(id, client: try connection.client(), json: connection.json) }

        /// Prints each step as it changes, then the outcome; throws unless the run succeeded.
        static func follow(_ id: UInt64, client: JobClient, json: Bool) throws {
            var printed: [String: String] = [:]
            while true {
                let run = try client.call(.pipelineRunShow, PipelineRunRequest(id: id), as: PipelineRunReply.self).run
                for step in run.steps where step.state != .pending && printed[step.name.rawValue] != step.state.rawValue + (step.reason ?? "") {
                    printed[step.name.rawValue] = step.state.rawValue + (step.reason ?? "")
                    if json {
                        printJSON(["event": "step", "run": id, "step": step.name.rawValue, "state": step.state.rawValue,
                                   "outputs": step.outputs, "reason": step.reason])
                    } else {
                        print("\(step.name.rawValue): \(step.state.rawValue)" + step.detail())
                    }
                }
                if run.state.isFinal {
                    if json { printJSON(["event": "done", "run": id, "state": run.state.rawValue, "reason": run.reason, "version": run.modelVersion]) }
                    guard run.state == .succeeded else {
                        throw CommandFailure("pipeline run \(id) \(run.state.rawValue)\(run.reason.map { " at \($0)" } ?? "")")
                    }
                    if !json { print("pipeline run \(id) succeeded: \(run.spec?.model ?? run.pipeline) version \(run.modelVersion.map(String.init) ?? "?") is \(run.spec?.alias ?? "promoted")") }
                    return
                }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a run (and its training job); the alias stays where it was.")
        @Argument(help: "Run id.") var id: UInt64
        @OptionGroup var connection: JobsCommand.Connection

        func run() throws {
            let run = try connection.client().call(.pipelineRunCancel, PipelineRunRequest(id: id), as: PipelineRunReply.self).run
            if connection.json { return printCodable(run) }
            print("pipeline run \(id) \(run.state.isFinal ? run.state.rawValue : "is being cancelled")")
        }
    }
}

extension PipelineRunInfo.Step {
    /// `  key=value …  — reason`: the step's outputs (all, or the `keys` given, in that order) and why it stopped.
    func detail(keys: [String]? = nil) -> String {
        let shown = keys?.compactMap { key in outputs[key].map { (key, $0) } } ?? outputs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let text = shown.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        return (text.isEmpty ? "" : "  \(text)") + (reason.map { "  — \($0)" } ?? "")
    }
}

/// Prints `value` as one line of JSON (its Codable form).
func printCodable(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    if let data = try? encoder.encode(value) {
        print(String(decoding: data, as: UTF8.self))
        fflush(nil)
    }
}
