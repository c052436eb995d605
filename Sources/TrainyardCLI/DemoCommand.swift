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
/// then the job's model published, promoted and served by two replicas behind the proxy,
/// under a short load test; then the second use case, a sentiment model on generated reviews
/// trained across the workers and answering reviews (a negated one among them) through a proxy.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a churn model locally and across workers, publish it, serve it behind the proxy, load-test it; then a sentiment model the same way; stop cleanly."
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
            guard let version = job.registryVersion else {
                throw CommandFailure("the job's model was not published: \(job.publishError ?? "no registry")")
            }
            say("published to the registry as \(job.modelName ?? "churn") version \(version)")

            let serving = DemoServing(registry: RegistryClient(baseURL: "http://127.0.0.1:\(httpPort)"), basePort: httpPort,
                                      directory: URL(fileURLWithPath: stateDirectory), say: say)
            try await serving.run(model: job.modelName ?? "churn", version: version, data: spec.data.path, model: distributed)

            let reviews = try sentimentSpec()
            say("\n== the second use case, sentiment: a linear model on \(reviewRows) generated movie reviews (words and word pairs), "
                + "trained across the \(workers) workers")
            let sentiment = try await runJob(reviews, modelName: "sentiment", client: client)
            for name in ["valid.accuracy", "valid.auc"] {
                if let value = sentiment.metrics?[name] { say(Format.metricLine(name, value)) }
            }
            guard let sentimentVersion = sentiment.registryVersion else {
                throw CommandFailure("the sentiment model was not published: \(sentiment.publishError ?? "no registry")")
            }
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

    /// Submits `spec` over all workers, to be published as `modelName`, and prints every tenth round until the job ends.
    private func runJob(_ spec: TrainingSpec, modelName: String, client: CoordinatorClient) async throws -> JobInfo {
        let submitted = try await client.requestAsync(.encoding(.jobSubmit, JobSubmit(spec: spec, workers: workers, modelName: modelName)),
                                                      timeout: .seconds(10)).decodeBody(JobReply.self).job
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

    /// Generated reviews in the demo directory and the spec of a linear model on them (default text settings:
    /// words and word pairs, sublinear tf, buckets sized from the vocabulary), a fifth held out for validation.
    private func sentimentSpec() throws -> TrainingSpec {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-demo/reviews.csv").path
        try AtomicFile.write(Array(SyntheticReviews.csv(rows: reviewRows, seed: 42).utf8), to: path)
        var spec = TrainingSpec(data: DatasetSource(path: path), label: "sentiment")
        spec.model = .linear
        spec.validFraction = 0.2
        return spec
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
