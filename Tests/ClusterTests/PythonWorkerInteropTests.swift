import Foundation
import Testing
import TestSupport
import TrainyardML
import TrainyardProtocol

/// Workers written in Python from docs/PROTOCOL.md alone join the real coordinator: the
/// document is complete enough for a third party. `python_worker.py` does membership;
/// `python_training_worker.py` trains, and the models it trains — alone, several of it, next to
/// Swift workers, taking over a killed worker's shard — are byte-identical to `trainyard train`'s.
@Suite(.serialized, .timeLimit(.minutes(5)),
       .enabled(if: PythonWorker.python != nil, "needs .venv with pyzmq (make test creates it with pip)"))
struct PythonWorkerInteropTests {
    @Test func aPythonWorkerRegistersHeartbeatsEchoesAndDeregisters() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56106")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        #expect(await eventually(timeout: .seconds(10)) { await cluster.probe.status() } != nil)

        let worker = try PythonWorker.start(["--connect", "tcp://127.0.0.1:56106", "--id", "py-1", "--seconds", "5"])
        let alive = await eventually(timeout: .seconds(10)) { await cluster.probe.workers(in: .alive)?["py-1"] }
        #expect(alive?.value.host == ProcessInfo.processInfo.hostName, "\(cluster.logs)")
        worker.waitUntilExit()
        let output = String(decoding: (worker.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(worker.terminationStatus == 0, "\(output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        #expect(summary["echoOK"] as? Bool == true, "\(output)")
        #expect((summary["heartbeatsReceived"] as? Int ?? 0) >= 3, "coordinator heartbeats every 200 ms: \(output)")
        #expect(summary["other"] == nil, "unexpected messages: \(output)")
        // The unknown_worker answer to a heartbeat copies its correlation id, as every reply does.
        #expect(summary["unknownWorkerCorrelation"] as? Int == 77, "\(output)")
        let left = await eventually(timeout: .seconds(5)) { await cluster.probe.workers(in: .left)?["py-1"] }
        #expect(left != nil, "\(cluster.logs)")
    }

    @Test func aPythonWorkerOfAnotherVersionIsRefused() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:56107")
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        let worker = try PythonWorker.start(["--connect", "tcp://127.0.0.1:56107", "--id", "py-v3", "--version", "3"])
        worker.waitUntilExit()
        let output = String(decoding: (worker.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(worker.terminationStatus == 3, "\(output)")
        #expect(output.contains("version_mismatch"))
        #expect(output.contains("peer speaks protocol version 3"))
        #expect(output.contains("\"supportedVersions\": [1]"))
    }

    // MARK: training

    /// binary:logistic with row and feature sampling, pruning and a seed above 2^53: one Python
    /// worker growing whole trees (TREE_GROW), three growing them level by level, and one that
    /// implements only the per-level protocol (TREE_GROW refused, the coordinator falls back).
    @Test(.enabled(if: PythonWorker.canTrain, "needs .venv with pyzmq and numpy (make pyenv)"))
    func pythonWorkersTrainTheLocalLogisticModel() async throws {
        let data = try await DistributedTrainingTests.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "churned", "--n-trees", "8", "--subsample", "0.8",
                         "--colsample-bytree", "0.8", "--gamma", "0.3", "--valid-fraction", "0.2",
                         "--seed", "18446744073709551557"]
        let local = try await DistributedTrainingTests.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56330")
        var workers = PythonTrainingWorkers(endpoint: cluster.endpoint)
        defer {
            workers.killAll()
            cluster.stopAll()
        }
        try cluster.startCoordinator()
        try workers.start("py-a")
        try #require(await cluster.waitUntilAlive(["py-a"]) != nil, "\(cluster.logs)\n\(workers.logs)")
        try await Self.expectLocalModel(local, cluster: cluster, workers: 1, arguments, "one Python worker, whole trees", workers)

        try workers.start("py-b", perLevelOnly: true)
        try workers.start("py-c")
        try #require(await cluster.waitUntilAlive(["py-a", "py-b", "py-c"]) != nil, "\(cluster.logs)\n\(workers.logs)")
        try await Self.expectLocalModel(local, cluster: cluster, workers: 3, arguments, "three Python workers", workers)

        let a = try workers.stop("py-a")
        #expect(a["TREE_GROW"] as? Int == 8 && a["errors"] == nil, "\(a)")
        try #require(await cluster.waitUntilAlive(["py-b", "py-c"]) != nil, "\(cluster.logs)")
        // One worker again: py-b (ids are taken in order), which refuses TREE_GROW.
        try await Self.expectLocalModel(local, cluster: cluster, workers: 1, arguments, "a per-level-only Python worker", workers)
        let b = try workers.stop("py-b")
        #expect("\(b["errors"] ?? "")".contains("unsupported_message"), "\(b)")
        #expect((b["SPLIT_DECISION"] as? Int ?? 0) > 0 && (b["TREE_FINISH"] as? Int ?? 0) > 0, "\(b)")
        #expect(cluster.coordinator!.log.contains("does not implement TREE_GROW"))
    }

    /// multi:softprob (three classes, softmax with the C library's expf), on two Python workers
    /// and on one, the one-worker job submitted by a Python client written from §6.3.
    @Test(.enabled(if: PythonWorker.canTrain, "needs .venv with pyzmq and numpy (make pyenv)"))
    func pythonWorkersTrainTheLocalSoftmaxModel() async throws {
        let data = try await DistributedTrainingTests.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "contract", "--objective", "multi:softprob", "--n-trees", "4",
                         "--subsample", "0.9"]
        let local = try await DistributedTrainingTests.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56331")
        var workers = PythonTrainingWorkers(endpoint: cluster.endpoint)
        defer {
            workers.killAll()
            cluster.stopAll()
        }
        try cluster.startCoordinator()
        try workers.start("py-a")
        try workers.start("py-b")
        try #require(await cluster.waitUntilAlive(["py-a", "py-b"]) != nil, "\(cluster.logs)\n\(workers.logs)")
        try await Self.expectLocalModel(local, cluster: cluster, workers: 2, arguments, "two Python workers", workers)

        let client = try PythonWorker.run(script: "python_job_client.py", [
            "--connect", cluster.endpoint, "--data", data, "--label", "contract", "--objective", "multi:softprob",
            "--trees", "4", "--subsample", "0.9", "--workers", "1"])
        #expect(client.status == 0, "\(client.output)\n\(cluster.logs)\n\(workers.logs)")
        let job = try #require(try JSONSerialization.jsonObject(with: Data(client.output.utf8)) as? [String: Any], "\(client.output)")
        let model = try ModelFile.read(path: try #require(job["modelPath"] as? String, "\(job)"))
        #expect(try Self.bytes(model) == Self.bytes(local), "a job from the Python client on one Python worker")
        #expect(try workers.stop("py-a")["TREE_GROW"] as? Int == 12)
    }

    /// reg:squarederror (gradient maxima exchanged before every tree) on a Python and a Swift
    /// worker side by side, and on the Python worker alone.
    @Test(.enabled(if: PythonWorker.canTrain, "needs .venv with pyzmq and numpy (make pyenv)"))
    func aMixedClusterTrainsTheLocalRegressionModel() async throws {
        let data = try await DistributedTrainingTests.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "tenure_months", "--n-trees", "6", "--subsample", "0.8", "--gamma", "1",
                         "--min-child-weight", "3", "--alpha", "0.5"]
        let local = try await DistributedTrainingTests.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56332")
        var workers = PythonTrainingWorkers(endpoint: cluster.endpoint)
        defer {
            workers.killAll()
            cluster.stopAll()
        }
        try cluster.startCoordinator()
        try workers.start("py-1")
        try cluster.startWorker("sw-1")
        try #require(await cluster.waitUntilAlive(["py-1", "sw-1"]) != nil, "\(cluster.logs)\n\(workers.logs)")
        try await Self.expectLocalModel(local, cluster: cluster, workers: 2, arguments, "a Python and a Swift worker", workers)
        try await Self.expectLocalModel(local, cluster: cluster, workers: 1, arguments, "the Python worker alone", workers)
        let tally = try workers.stop("py-1")
        #expect(tally["GRADIENT_REQUEST"] as? Int == 12 && tally["TREE_GROW"] as? Int == 6 && tally["errors"] == nil, "\(tally)")
    }

    /// Linear models: the loss and gradient sums of §6.2.4. One Python worker gives the local
    /// model bit for bit; a Python and a Swift worker give exactly what two Swift workers give
    /// (and the local model to rounding: the shards' sums are added in another order).
    @Test(.enabled(if: PythonWorker.canTrain, "needs .venv with pyzmq and numpy (make pyenv)"))
    func pythonWorkersTrainTheLinearModelsSwiftWorkersTrain() async throws {
        let data = try await DistributedTrainingTests.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "churned", "--model", "linear"]
        let local = try await DistributedTrainingTests.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56333")
        var workers = PythonTrainingWorkers(endpoint: cluster.endpoint)
        defer {
            workers.killAll()
            cluster.stopAll()
        }
        try cluster.startCoordinator()
        try workers.start("py-1")
        try cluster.startWorker("sw-1")
        try cluster.startWorker("sw-2")
        try #require(await cluster.waitUntilAlive(["py-1", "sw-1", "sw-2"]) != nil, "\(cluster.logs)\n\(workers.logs)")
        try await Self.expectLocalModel(local, cluster: cluster, workers: 1, arguments, "one Python worker", workers)

        let mixedJob = try await DistributedTrainingTests.submit(cluster, workers: 2, arguments)
        #expect(mixedJob["state"] as? String == "succeeded", "\(mixedJob)\n\(cluster.logs)\n\(workers.logs)")
        #expect(mixedJob["assigned"] as? [String] == ["py-1", "sw-1"], "\(mixedJob)")
        _ = try workers.stop("py-1")
        try #require(await cluster.waitUntilAlive(["sw-1", "sw-2"]) != nil, "\(cluster.logs)")
        let swiftJob = try await DistributedTrainingTests.submit(cluster, workers: 2, arguments)
        #expect(swiftJob["state"] as? String == "succeeded", "\(swiftJob)\n\(cluster.logs)")
        let mixed = try DistributedTrainingTests.model(of: mixedJob), swift = try DistributedTrainingTests.model(of: swiftJob)
        #expect(try Self.bytes(mixed) == Self.bytes(swift), "a Python and a Swift worker vs two Swift workers")
        guard case .linear(let distributed) = mixed.estimator, case .linear(let reference) = local.estimator else {
            Issue.record("not linear models")
            return
        }
        let scale = max(1, reference.weights.map(abs).max() ?? 1)
        let worst = zip(distributed.weights + [distributed.bias], reference.weights + [reference.bias]).map { abs($0 - $1) }.max() ?? 0
        #expect(worst / scale <= 1e-9, "largest weight difference \(worst)")
    }

    /// A Swift worker killed mid-job: its shard moves to a spare Python worker (BIN_CUTS and
    /// CHECKPOINT, no new sketch), the Python worker that kept its shard replays the checkpoint,
    /// and the model is still the local one.
    @Test(.enabled(if: PythonWorker.canTrain, "needs .venv with pyzmq and numpy (make pyenv)"))
    func aPythonWorkerTakesOverAKilledWorkersShard() async throws {
        let data = try await DistributedTrainingTests.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "churned", "--n-trees", "30", "--subsample", "0.8"]
        let local = try await DistributedTrainingTests.local(arguments)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56334")
        var workers = PythonTrainingWorkers(endpoint: cluster.endpoint)
        defer {
            workers.killAll()
            cluster.stopAll()
        }
        try cluster.startCoordinator()
        try cluster.startWorker("a-swift")
        try workers.start("b-python")
        try workers.start("c-python")
        try #require(await cluster.waitUntilAlive(["a-swift", "b-python", "c-python"]) != nil, "\(cluster.logs)\n\(workers.logs)")
        let submitted = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--workers", "2",
                                                        "--json"] + arguments)
        let id = try #require(try DistributedTrainingTests.lastJob(submitted.stdout, context: submitted.stderr)["id"] as? Int)
        let first = try #require(await DistributedTrainingTests.waitForRound(3, job: id, cluster: cluster), "\(cluster.logs)")
        #expect(first == "a-swift")
        cluster.workers["a-swift"]!.signal(SIGKILL)
        let watched = try await TrainyardProcess.run(["jobs", "watch", "\(id)", "--coordinator", cluster.endpoint, "--json"],
                                                     timeout: .seconds(180))
        let job = try DistributedTrainingTests.lastJob(watched.stdout, context: cluster.logs)
        #expect(job["state"] as? String == "succeeded", "\(job)\n\(cluster.logs)\n\(workers.logs)")
        #expect((job["recoveries"] as? Int ?? 0) >= 1, "\(job)")
        #expect(job["assigned"] as? [String] == ["c-python", "b-python"], "\(job)")
        #expect(try Self.bytes(DistributedTrainingTests.model(of: job)) == Self.bytes(local))
        let b = try workers.stop("b-python"), c = try workers.stop("c-python")
        #expect((b["CHECKPOINT"] as? Int ?? 0) >= 1 && b["errors"] == nil, "\(b)")
        #expect((c["CHECKPOINT"] as? Int ?? 0) >= 1 && c["BIN_CUTS"] as? Int == 1 && c["SKETCH_REQUEST"] == nil, "\(c)")
    }

    /// The other way round: a coordinator written in Python from the document drives a worker —
    /// the Swift one, and the Python one — and checks its replies bit for bit against the
    /// document's arithmetic (sketch, sampled histograms with a seed above 2^53, interleaved
    /// split counts, left histograms, margins after TREE_FINISH, regression gradients), the job
    /// and correlation ids of every reply, and that requests the document says are refused do
    /// not crash it: 256 cuts, a regression tree without its GRADIENT_REQUEST, exponents beyond
    /// 32 bits.
    @Test(.enabled(if: PythonWorker.canTrain, "needs .venv with pyzmq and numpy (make pyenv)"),
          arguments: [("swift", 56335), ("python", 56336)])
    func aWorkerAnswersAsTheDocumentSays(kind: String, port: Int) async throws {
        let endpoint = "tcp://127.0.0.1:\(port)"
        let probe = Process()
        probe.executableURL = PythonWorker.python!
        probe.arguments = [PythonWorker.script("python_coordinator_probe.py"), "--bind", endpoint]
        probe.standardOutput = Pipe()
        try probe.run()
        var python = PythonTrainingWorkers(endpoint: endpoint)
        let swift = kind == "swift" ? try TrainyardProcess(["worker", "--connect", endpoint, "--id", "sw-probe", "--cores", "1",
                                                             "--log-level", "debug"]) : nil
        if kind == "python" { try python.start("py-probe") }
        defer {
            swift?.stop()
            python.killAll()
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while probe.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if probe.isRunning { probe.terminate() }
        probe.waitUntilExit()
        let output = String(decoding: (probe.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let logs = swift?.log ?? python.logs
        #expect(probe.terminationStatus == 0, "\(output)\n\(logs)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        #expect((report["checks"] as? Int ?? 0) >= 80, "\(output)")
        #expect(report["failures"] as? [String] == [], "\(output)\n\(logs)")
        if let swift { #expect(swift.isRunning, "the worker crashed: \(swift.log)") }
        if kind == "python" {
            let tally = try python.stop("py-probe")
            #expect((tally["errors"] as? [Any])?.count == 4, "the four refusals: \(tally)")
        }
    }

    /// Submits `arguments` for `workers` workers and expects the model file of `local`, byte for
    /// byte once the provenance (time, software, job id) is blanked.
    static func expectLocalModel(_ local: TrainyardModel, cluster: Cluster, workers: Int, _ arguments: [String],
                                 _ what: String, _ python: PythonTrainingWorkers,
                                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let job = try await DistributedTrainingTests.submit(cluster, workers: workers, arguments)
        try #require(job["state"] as? String == "succeeded", "\(what): \(job)\n\(cluster.logs)\n\(python.logs)",
                     sourceLocation: sourceLocation)
        let model = try DistributedTrainingTests.model(of: job)
        #expect(try Self.bytes(model) == Self.bytes(local), "\(what)", sourceLocation: sourceLocation)
    }

    /// The model file of `model` without its provenance.
    static func bytes(_ model: TrainyardModel) throws -> [UInt8] {
        try ModelFile.encode(DistributedTrainingTests.trained(model))
    }
}

enum PythonWorker {
    /// `.venv/bin/python3` if it can import zmq.
    static let python: URL? = {
        let candidate = TrainyardProcess.packageRoot.appendingPathComponent(".venv/bin/python3")
        guard FileManager.default.isExecutableFile(atPath: candidate.path), imports("zmq", with: candidate) else { return nil }
        return candidate
    }()

    /// Whether the venv's Python can run the training worker (pyzmq and numpy).
    static let canTrain: Bool = python.map { imports("zmq, numpy", with: $0) } ?? false

    private static func imports(_ modules: String, with python: URL) -> Bool {
        let check = Process()
        check.executableURL = python
        check.arguments = ["-c", "import \(modules)"]
        check.standardError = Pipe()
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }

    static func script(_ name: String) -> String {
        TrainyardProcess.packageRoot.appendingPathComponent("Tests/Interop/\(name)").path
    }

    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = python!
        process.arguments = [script("python_worker.py")] + arguments
        process.standardOutput = Pipe()
        try process.run()
        return process
    }

    /// Runs `script` to completion (at most `timeout`); its exit status and standard output.
    static func run(script name: String, _ arguments: [String],
                    timeout: Duration = .seconds(300)) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = python!
        process.arguments = [script(name)] + arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("python-\(UUID().uuidString.prefix(8)).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}

/// `python_training_worker.py` processes by worker id, their output and errors in files.
struct PythonTrainingWorkers {
    let endpoint: String
    private var processes: [String: (process: Process, output: URL, errors: URL)] = [:]

    init(endpoint: String) { self.endpoint = endpoint }

    mutating func start(_ id: String, perLevelOnly: Bool = false) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("python-worker-\(id)-\(UUID().uuidString.prefix(8))")
        let output = base.appendingPathExtension("out"), errors = base.appendingPathExtension("log")
        for file in [output, errors] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let process = Process()
        process.executableURL = PythonWorker.python!
        process.arguments = [PythonWorker.script("python_training_worker.py"), "--connect", endpoint, "--id", id]
            + (perLevelOnly ? ["--per-level-only"] : [])
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        processes[id] = (process, output, errors)
    }

    /// Stops a worker with SIGTERM (it deregisters) and returns what it answered: requests by
    /// type name, and the `errors` it sent.
    mutating func stop(_ id: String) throws -> [String: Any] {
        let removed = processes.removeValue(forKey: id)
        let worker = try #require(removed, "no Python worker \(id)")
        defer { remove(worker) }
        worker.process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while worker.process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if worker.process.isRunning { kill(worker.process.processIdentifier, SIGKILL) }
        worker.process.waitUntilExit()
        let output = (try? String(contentsOf: worker.output, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOf: worker.errors, encoding: .utf8)) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
                            "Python worker \(id) exited \(worker.process.terminationStatus): \(output)\n\(errors)")
    }

    /// Kills every worker still running.
    mutating func killAll() {
        for worker in processes.values {
            if worker.process.isRunning { kill(worker.process.processIdentifier, SIGKILL) }
            worker.process.waitUntilExit()
            remove(worker)
        }
        processes = [:]
    }

    private func remove(_ worker: (process: Process, output: URL, errors: URL)) {
        try? FileManager.default.removeItem(at: worker.output)
        try? FileManager.default.removeItem(at: worker.errors)
    }

    /// Standard error of the running workers, for failure messages.
    var logs: String {
        processes.sorted { $0.key < $1.key }.map { id, worker in
            "--- python \(id)\n" + ((try? String(contentsOf: worker.errors, encoding: .utf8)) ?? "")
        }.joined(separator: "\n")
    }
}
