import ArgumentParser

/// The `trainyard` command: one executable, one subcommand per role.
public struct Trainyard: AsyncParsableCommand {
    /// The software version announced to peers and printed by `--version`.
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "trainyard",
        abstract: "Self-hosted ML platform: distributed training over ZeroMQ, registry, serving and monitoring.",
        version: version,
        subcommands: [TrainCommand.self, TuneCommand.self, DatasetsCommand.self, MonitorCommand.self, PredictCommand.self, EvaluateCommand.self, DataCommand.self, ExportCommand.self, ImportCommand.self,
                      CoordinatorCommand.self, WorkerCommand.self, ClusterCommand.self, SubmitCommand.self, JobsCommand.self, PipelineCommand.self,
                      RegistryCommand.self, ModelsCommand.self, ServeCommand.self, PredictionsCommand.self,
                      LoadtestCommand.self, ProxyCommand.self, DemoCommand.self, KeysCommand.self, TokensCommand.self, HealthCommand.self]
    )

    public init() {}
}
