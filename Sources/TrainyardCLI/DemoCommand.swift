import ArgumentParser
import Foundation
import Coordinator
import DistributedTraining
import Logging
import ModelRegistry
import TrainyardML
import ServiceLifecycle
import TrainyardProtocol
import Worker
import ZeroMQ

/// `trainyard demo`: a churn model trained locally, then the same job across a coordinator
/// and workers on loopback, with its progress, metrics and a check that both models agree;
/// then the lifecycle as a pipeline — the data uploaded as a dataset version, quality gate,
/// training on the workers, evaluation gate, registered, approved, promoted — served by two
/// replicas behind the proxy; a second data version arriving while they serve, then a short
/// load test; then the second use case, a sentiment pipeline (a tuning study, approved by a
/// person) whose model answers reviews (a negated one among them) through a proxy.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a churn model locally and across workers; run its pipeline from a dataset upload to replicas behind the proxy, again on new data, load-test it; then a sentiment pipeline; stop cleanly."
    )

    @Option(help: "Rows of generated churn data for the training step.")
    var rows = 20_000

    @Option(help: "Generated movie reviews for the sentiment step.")
    var reviewRows = 8_000

    @Option(help: "Number of workers to start.")
    var workers = 2

    @Option(help: "Endpoint for the demo coordinator.")
    var bind = "tcp://127.0.0.1:5599"

    @Option(help: "First of the demo's HTTP ports: registry, then two replicas (+1, +2) and the proxy (+10).")
    var httpPort = 5680

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...16).contains(workers) else { throw ValidationError("--workers must be between 1 and 16") }
    }

    func run() async throws {
        let (spec, localModel) = try trainChurnModel()
        let logger = logging.bootstrap(label: "trainyard.demo")
        let context = try ZMQContext()
        var coordinatorSettings = CoordinatorSettings(bind: bind)
        coordinatorSettings.membership.heartbeatInterval = .milliseconds(250)
        let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-demo/state-\(getpid())").path
        coordinatorSettings.jobs = JobSettings(stateDirectory: stateDirectory)
        coordinatorSettings.jobs.dataRoots = [(spec.data.path as NSString).deletingLastPathComponent]
        coordinatorSettings.software = "trainyard \(Trainyard.version)"
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        // The registry runs inside the coordinator, which publishes the job's model to it.
        let store = try RegistryStore(directory: stateDirectory + "/registry")
        coordinatorSettings.jobs.publisher = StorePublisher(store: store)
        coordinatorSettings.jobs.datasets = StoreFetcher(store: store.datasets)
        coordinatorSettings.jobs.registry = StoreRegistry(store: store)
        coordinatorSettings.jobs.pipelinePollInterval = .milliseconds(200)
        let registryApp = RegistryServer.application(store: store, host: "127.0.0.1", port: httpPort, logger: logger)
        let coordinator = CoordinatorService(settings: coordinatorSettings, context: context, logger: logger)
        let workerServices = (1...workers).map { index in
            var settings = WorkerSettings(
                connect: bind,
                identity: WorkerSettings.localIdentity(workerID: "demo-worker-\(index)", cores: 1,
                                                       software: "trainyard \(Trainyard.version)"))
            settings.heartbeatInterval = .milliseconds(250)
            return WorkerService(settings: settings, context: context, logger: logger)
        }
        let coordinatorGroup = ServiceGroup(services: [coordinator, registryApp], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let workerGroup = ServiceGroup(services: workerServices, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let client = CoordinatorClient(endpoint: bind, context: context)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await coordinatorGroup.run() }
            group.addTask { try await workerGroup.run() }

            say("== \(workers) workers joining the coordinator at \(bind)")
            let joined = try await waitForStatus(client) { $0.workers.filter { $0.state == .alive }.count == workers }
            say(ClusterStatusReport(joined).table())

            say("\n== the same training job across the \(workers) workers (each is shipped its shard over ZeroMQ)")
            let job = try await runJob(spec, modelName: "churn", client: client)
            say("job \(job.id) \(job.state.rawValue): \(Format.bytes(job.bytesSent)) sent to workers, \(Format.bytes(job.bytesReceived)) received")
            for name in ["valid.auc", "valid.logloss", "valid.accuracy"] {
                if let value = job.metrics?[name] { say(Format.metricLine(name, value)) }
            }
            guard let path = job.modelPath else { throw CommandFailure("job \(job.id) wrote no model") }
            let distributed = try ModelFile.read(path: path)
            let same = distributed.estimator == localModel.estimator && distributed.preprocessor == localModel.preprocessor
            say(same ? "the distributed model is identical to the local one (same trees, same predictions)"
                     : "WARNING: the distributed model differs from the local one")

            let registry = RegistryClient(baseURL: "http://127.0.0.1:\(httpPort)")
            let pipelines = DemoPipelines(client: client, registry: registry, say: say)
            say("\n== the lifecycle as a pipeline: dataset version → quality gate → train on the workers → evaluation gate → register → approve → promote")
            try await pipelines.apply(DemoPipelines.churn(workers: workers))
            try await pipelines.upload(spec.data.path, as: "churn")
            let first = try await pipelines.follow(run: 1)
            guard let version = first.modelVersion else { throw CommandFailure("the churn pipeline promoted no model") }

            let serving = DemoServing(registry: registry, basePort: httpPort, directory: URL(fileURLWithPath: stateDirectory), say: say)
            try await serving.run(model: "churn", version: version, data: spec.data.path, model: distributed) {
                say("\n== new data while the replicas serve: churn version 2 (\(rows) more customers) starts the pipeline again")
                let next = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-demo/churn-2.csv").path
                try AtomicFile.write(Array(SyntheticChurn.csv(rows: rows, seed: 43).utf8), to: next)
                try await pipelines.upload(next, as: "churn")
                let second = try await pipelines.follow(run: 2, acceptingStop: true)
                say(second.state == .succeeded ? "churn@production → version \(second.modelVersion ?? 0): the replicas switch to it on their own"
                                               : "the gate kept version \(version) in production")
            }

            say("\n== the second use case, sentiment: \(reviewRows) generated movie reviews, a pipeline that tunes a linear model "
                + "(words and word pairs) across the \(workers) workers and waits for a person to approve it")
            try await pipelines.apply(DemoPipelines.sentiment)
            try await pipelines.upload(try sentimentData(), as: "reviews")
            let sentiment = try await pipelines.follow(run: 3, approver: "the demo (as `trainyard models approve` would)")
            guard let sentimentVersion = sentiment.modelVersion else { throw CommandFailure("the sentiment pipeline promoted no model") }
            try await serving.runSentiment(model: "sentiment", version: sentimentVersion)

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

    /// Submits `spec` over all workers (kept on the coordinator, not published: the pipeline publishes) and prints
    /// every tenth round until the job ends.
    private func runJob(_ spec: TrainingSpec, modelName: String, client: CoordinatorClient) async throws -> JobInfo {
        var request = JobSubmit(spec: spec, workers: workers, modelName: modelName)
        request.publish = false
        let submitted = try await client.requestAsync(.encoding(.jobSubmit, request), timeout: .seconds(10)).decodeBody(JobReply.self).job
        var next = 1
        while true {
            let reply = try await client.requestAsync(.encoding(.jobShow, JobRequest(id: submitted.id, historyFrom: next)),
                                                      timeout: .seconds(10)).decodeBody(JobReply.self)
            for progress in reply.history ?? [] where progress.round >= next {
                if progress.round % 10 == 0 || progress.round == 1 {
                    say(String(format: "  round %3d  valid %@ %.4f  %.1f s", progress.round, progress.metric, progress.valid ?? .nan,
                               progress.elapsedSeconds))
                }
                next = progress.round + 1
            }
            if reply.job.state.isFinal {
                guard reply.job.state == .succeeded else {
                    throw CommandFailure("job \(submitted.id) \(reply.job.state.rawValue): \(reply.job.reason ?? "")")
                }
                return reply.job
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Step 1: generate a churn dataset, train gradient-boosted trees on it with a
    /// validation split, save the model and print its validation metrics. Returns the
    /// training spec (for the distributed job) and the model.
    private func trainChurnModel() throws -> (TrainingSpec, TrainyardModel) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-demo")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dataPath = directory.appendingPathComponent("churn.csv").path
        let modelPath = directory.appendingPathComponent("churn.model").path
        try AtomicFile.write(Array(SyntheticChurn.csv(rows: rows, seed: 42).utf8), to: dataPath)
        say("== training a churn model on \(rows) generated customers (\(dataPath))")
        var spec = TrainingSpec(data: DatasetSource(path: dataPath), label: "churned")
        spec.gbdt.trees = 300
        spec.gbdt.eta = 0.1
        spec.gbdt.earlyStoppingRounds = 20
        spec.validFraction = 0.2
        let request = spec.request(datasetSHA256: try FileFingerprint.sha256(path: dataPath), software: "trainyard \(Trainyard.version)")
        let outcome = try TrainingPipeline.run(train: try spec.load().train, request: request)
        try ModelFile.write(outcome.model, to: modelPath)
        let record = outcome.model.training
        say("trained \(record.parameters["model"] ?? "gbdt") (\(outcome.model.objective.name)) on \(record.trainRows) rows, "
            + "best round \(record.bestRound ?? outcome.history.count) of \(request.gbdt.trees)")
        for name in ["valid.auc", "valid.logloss", "valid.accuracy"] {
            if let value = outcome.metrics[name] { say(Format.metricLine(name, value)) }
        }
        let top = (record.featureImportance ?? [:]).sorted { $0.value > $1.value }.prefix(3).map(\.key)
        say("  top features by gain: \(top.joined(separator: ", "))")
        say("model saved to \(modelPath)\n")
        return (spec, outcome.model)
    }

    /// Generated reviews in the demo directory; returns the file's path.
    private func sentimentData() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-demo/reviews.csv").path
        try AtomicFile.write(Array(SyntheticReviews.csv(rows: reviewRows, seed: 42).utf8), to: path)
        return path
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
