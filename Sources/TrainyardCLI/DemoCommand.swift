import ArgumentParser
import Foundation
import Coordinator
import Logging
import TrainyardML
import ServiceLifecycle
import TrainyardProtocol
import Worker
import ZeroMQ

/// `trainyard demo`: a coordinator and workers on loopback, their status, a clean stop.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a churn model on generated data, then start a coordinator and workers, show the cluster, stop them."
    )

    @Option(help: "Rows of generated churn data for the training step.")
    var rows = 20_000

    @Option(help: "Number of workers to start.")
    var workers = 2

    @Option(help: "Endpoint for the demo coordinator.")
    var bind = "tcp://127.0.0.1:5599"

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...16).contains(workers) else { throw ValidationError("--workers must be between 1 and 16") }
    }

    func run() async throws {
        try trainChurnModel()
        let logger = logging.bootstrap(label: "trainyard.demo")
        let context = try ZMQContext()
        var coordinatorSettings = CoordinatorSettings(bind: bind)
        coordinatorSettings.membership.heartbeatInterval = .milliseconds(250)
        let coordinator = CoordinatorService(settings: coordinatorSettings, context: context, logger: logger)
        let workerServices = (1...workers).map { index in
            var settings = WorkerSettings(
                connect: bind,
                identity: WorkerSettings.localIdentity(workerID: "demo-worker-\(index)", cores: 1,
                                                       software: "trainyard \(Trainyard.version)"))
            settings.heartbeatInterval = .milliseconds(250)
            return WorkerService(settings: settings, context: context, logger: logger)
        }
        let coordinatorGroup = ServiceGroup(services: [coordinator], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let workerGroup = ServiceGroup(services: workerServices, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let client = CoordinatorClient(endpoint: bind, context: context)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await coordinatorGroup.run() }
            group.addTask { try await workerGroup.run() }

            say("== \(workers) workers joining the coordinator at \(bind)")
            let joined = try await waitForStatus(client) { $0.workers.filter { $0.state == .alive }.count == workers }
            say(ClusterStatusReport(joined).table())

            say("\n== stopping the workers (they deregister)")
            await workerGroup.triggerGracefulShutdown()
            let left = try await waitForStatus(client) { $0.workers.allSatisfy { $0.state == .left } }
            say(ClusterStatusReport(left).table())

            say("\n== stopping the coordinator")
            await coordinatorGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            say("demo finished: all services stopped cleanly")
        }
    }

    /// Step 1: generate a churn dataset, train gradient-boosted trees on it with a
    /// validation split, save the model and print its validation metrics.
    private func trainChurnModel() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-demo")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dataPath = directory.appendingPathComponent("churn.csv").path
        let modelPath = directory.appendingPathComponent("churn.model").path
        try AtomicFile.write(Array(SyntheticChurn.csv(rows: rows, seed: 42).utf8), to: dataPath)
        say("== training a churn model on \(rows) generated customers (\(dataPath))")
        var request = TrainingRequest(label: "churned")
        request.gbdt.trees = 300
        request.gbdt.eta = 0.1
        request.gbdt.earlyStoppingRounds = 20
        request.validFraction = 0.2
        request.software = "trainyard \(Trainyard.version)"
        let outcome = try TrainingPipeline.run(train: try CSVReader.read(path: dataPath), request: request)
        try ModelFile.write(outcome.model, to: modelPath)
        let record = outcome.model.training
        say("trained \(record.parameters["model"] ?? "gbdt") (\(outcome.model.objective.name)) on \(record.trainRows) rows, "
            + "best round \(record.bestRound ?? outcome.history.count) of \(request.gbdt.trees)")
        for name in ["valid.auc", "valid.logloss", "valid.accuracy"] {
            if let value = outcome.metrics[name] { say(String(format: "  %-15@ %.4f", name as NSString, value)) }
        }
        let top = (record.featureImportance ?? [:]).sorted { $0.value > $1.value }.prefix(3).map(\.key)
        say("  top features by gain: \(top.joined(separator: ", "))")
        say("model saved to \(modelPath)\n")
    }

    /// Writes a line to stdout unbuffered, so it interleaves in order with the logs on stderr.
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Polls the coordinator until `done` holds, for at most ten seconds.
    private func waitForStatus(_ client: CoordinatorClient,
                               until done: (ClusterStatus) -> Bool) async throws -> ClusterStatus {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            if let status = try? await client.requestAsync(.statusRequest, timeout: .seconds(1)),
               case .statusReply(let table) = status, done(table) {
                return table
            }
            guard ContinuousClock.now < deadline else {
                throw CommandFailure("the demo cluster did not reach the expected state within 10 s")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
