import ArgumentParser
import Foundation
import Testing
import TestSupport
import TrainyardML
@testable import TrainyardCLI

/// What a new user trips over first: flags with units, one number format, clear failures. Ports 57510–57529.
@Suite(.serialized)
struct CLIPolishTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-polish-\(UUID().uuidString.prefix(8))")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    // MARK: durations take a unit; the old spellings still work, hidden

    @Test func durationFlagsTakeAUnitAndTheOldSpellingsStillParse() throws {
        func serve(_ arguments: [String]) throws -> ServeCommand { try ServeCommand.parse(["--model-file", "m.tym"] + arguments) }
        #expect(try serve(["--poll-interval", "250ms"]).pollInterval.or(milliseconds: nil) == .milliseconds(250))
        let old = try serve(["--poll-interval-ms", "250"])
        #expect(old.pollInterval.or(milliseconds: old.pollIntervalMs) == .milliseconds(250))
        #expect(try serve([]).pollInterval.duration == .seconds(1))

        let proxy = try ProxyCommand.parse(["--backend", "http://x:1", "--health-interval", "200ms", "--discover-interval", "5s",
                                            "--connect-timeout", "2s", "--request-timeout", "1m"])
        #expect(proxy.healthInterval.duration == .milliseconds(200) && proxy.discoverInterval.duration == .seconds(5))
        #expect(proxy.connectTimeout.duration == .seconds(2) && proxy.requestTimeout.duration == .seconds(60))
        let oldProxy = try ProxyCommand.parse(["--backend", "http://x:1", "--health-interval-ms", "200", "--discover-interval-ms", "5000",
                                               "--connect-timeout-ms", "2000", "--request-timeout-ms", "60000"])
        #expect(oldProxy.healthInterval.or(milliseconds: oldProxy.healthIntervalMs) == .milliseconds(200))
        #expect(oldProxy.discoverInterval.or(milliseconds: oldProxy.discoverIntervalMs) == .seconds(5))
        #expect(oldProxy.connectTimeout.or(milliseconds: oldProxy.connectTimeoutMs) == .seconds(2))
        #expect(oldProxy.requestTimeout.or(milliseconds: oldProxy.requestTimeoutMs) == .seconds(60))

        let coordinator = try CoordinatorCommand.parse(["--retention", "5m", "--worker-wait", "10s", "--request-timeout", "90s",
                                                        "--heartbeat-interval", "200ms"])
        #expect(coordinator.retention.duration == .seconds(300) && coordinator.workerWait.duration == .seconds(10))
        #expect(coordinator.requestTimeout.duration == .seconds(90) && coordinator.heartbeat.interval == .milliseconds(200))
        let oldCoordinator = try CoordinatorCommand.parse(["--retention-seconds", "300", "--worker-wait-seconds", "10",
                                                           "--request-timeout-seconds", "90", "--heartbeat-interval-ms", "200"])
        #expect(oldCoordinator.retention.or(seconds: oldCoordinator.retentionSeconds) == .seconds(300))
        #expect(oldCoordinator.workerWait.or(seconds: oldCoordinator.workerWaitSeconds) == .seconds(10))
        #expect(oldCoordinator.requestTimeout.or(seconds: oldCoordinator.requestTimeoutSeconds) == .seconds(90))
        #expect(oldCoordinator.heartbeat.interval == .milliseconds(200))

        let worker = try WorkerCommand.parse(["--reconnect-max", "1s", "--heartbeat-interval", "250ms"])
        #expect(worker.reconnectMax.duration == .seconds(1) && worker.heartbeat.interval == .milliseconds(250))
        let oldWorker = try WorkerCommand.parse(["--reconnect-max-ms", "1000"])
        #expect(oldWorker.reconnectMax.or(milliseconds: oldWorker.reconnectMaxMs) == .seconds(1))

        #expect(try ClusterCommand.Status.parse(["--timeout", "300ms"]).timeout.duration == .milliseconds(300))
        #expect(try JobsCommand.List.parse(["--timeout", "2s"]).connection.timeout.duration == .seconds(2))
        #expect(try SubmitCommand.Train.parse(["--data", "d.csv", "--label", "y", "--timeout", "2s"]).timeout.duration == .seconds(2))
        #expect(throws: (any Error).self) { try ServeCommand.parse(["--model-file", "m", "--poll-interval", "soon"]) }

        // The filter on a model version is --model-version: --version is the program's.
        #expect(try PredictionsCommand.Query.parse(["--db", "x", "--model-version", "3"]).modelVersion == 3)
    }

    @Test func helpShowsOnlyTheNewSpellings() async throws {
        for (command, shown, hidden) in [(["serve"], "--poll-interval <poll-interval>", "--poll-interval-ms"),
                                         (["proxy"], "--health-interval <health-interval>", "--health-interval-ms"),
                                         (["coordinator"], "--retention <retention>", "--retention-seconds"),
                                         (["worker"], "--reconnect-max <reconnect-max>", "--reconnect-max-ms"),
                                         (["jobs", "list"], "--timeout <timeout>", "--timeout-ms"),
                                         (["predictions", "query"], "--model-version <model-version>", "--version <")] {
            let help = try await TrainyardProcess.run(["help"] + command)
            #expect(help.stdout.contains(shown), "\(command): \(help.stdout)")
            #expect(!help.stdout.contains(hidden), "\(command) shows \(hidden)")
        }
    }

    // MARK: one number format

    @Test func metricsHaveFourDecimalsAndBytesBinaryUnits() async throws {
        #expect(Format.metric(0.912345678) == "0.9123")
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(1536) == "1.5 KiB")
        #expect(Format.bytes(5 * 1_048_576 + 1) == "5.0 MiB")
        #expect(Format.bytes(Int64(25_200_000_000)) == "23.5 GiB")
        #expect(Format.table([["A", "LONG"], ["wide", "x"]]) == ["A     LONG", "wide  x"])

        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "400", "--out", path("c.csv")]).status == 0)
        let train = try await TrainyardProcess.run(["train", "--data", path("c.csv"), "--label", "churned", "--n-trees", "5",
                                                    "--valid-fraction", "0.25", "--out", path("m.tym")])
        let evaluate = try await TrainyardProcess.run(["evaluate", "--model", path("m.tym"), "--data", path("c.csv")])
        for output in [train.stdout, evaluate.stdout] {
            let metricLines = output.split(separator: "\n").filter { $0.hasPrefix("  ") }
            #expect(!metricLines.isEmpty, "\(output)")
            let pattern = try Regex(#"  [a-z._]+ +-?\d+\.\d{4}"#)
            for line in metricLines { #expect((try? pattern.wholeMatch(in: String(line))) != nil, "\(line)") }
        }
    }

    // MARK: a port in use

    @Test func aPortInUseIsOneClearLine() async throws {
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "300", "--out", path("c.csv")]).status == 0)
        #expect(try await TrainyardProcess.run(["train", "--data", path("c.csv"), "--label", "churned", "--n-trees", "3",
                                                "--out", path("m.tym")]).status == 0)
        let holder = try TrainyardProcess(["registry", "--data-dir", path("r1"), "--listen", "127.0.0.1:57510"])
        defer { holder.stop() }
        _ = await eventually(timeout: .seconds(20)) { holder.log.contains("registry listening") ? true : nil }
        let commands = [["serve", "--model-file", path("m.tym"), "--log", "none", "--listen", "127.0.0.1:57510"],
                        ["registry", "--data-dir", path("r2"), "--listen", "127.0.0.1:57510"],
                        ["proxy", "--backend", "http://127.0.0.1:1", "--listen", "127.0.0.1:57510"]]
        for command in commands {
            let result = try await TrainyardProcess.run(command)
            #expect(result.status != 0)
            #expect(result.stderr == "Error: cannot listen on 127.0.0.1:57510: address already in use\n", "\(command[0]): \(result.stderr)")
        }
    }

    // MARK: jobs: aligned list, cancel of a finished job fails, JSON lines as they happen

    @Test func jobsListAlignsCancelOfAnEndedJobFailsAndSubmitJSONStreams() async throws {
        let cluster = Cluster(bind: "tcp://127.0.0.1:57511")
        defer { cluster.stopAll() }
        // A stopped worker stays "alive" for 10 s: long enough to submit a job that then makes no progress.
        cluster.coordinatorArguments = ["--heartbeat-liveness", "50"]
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        #expect(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("polish-\(UUID().uuidString.prefix(8)).csv").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "2000", "--out", data]).status == 0)
        let connection = ["--coordinator", cluster.endpoint]

        // A short job to the end: --json lines reach a file (block-buffered stdout) while the job runs.
        let downloaded = data + ".model"
        defer { try? FileManager.default.removeItem(atPath: downloaded) }
        let quick = try await TrainyardProcess.run(["submit", "train", "--data", data, "--label", "churned", "--n-trees", "3",
                                                    "--wait", "--json", "--out", downloaded] + connection, timeout: .seconds(60))
        #expect(quick.status == 0, "\(quick.stderr)")
        #expect(quick.stdout.contains("\"event\":\"downloaded\""), "\(quick.stdout)")
        // The model reaches the client byte for byte as the coordinator wrote it, and `jobs download` gives the same file.
        let onCoordinator = try #require(FileManager.default.contents(atPath: cluster.stateDirectory + "/models/job-1.model"))
        #expect(FileManager.default.contents(atPath: downloaded) == onCoordinator)
        try FileManager.default.removeItem(atPath: downloaded)
        let again = try await TrainyardProcess.run(["jobs", "download", "1", "--out", downloaded] + connection)
        #expect(again.status == 0 && again.stderr.contains("wrote job 1's model"), "\(again.stderr)")
        #expect(FileManager.default.contents(atPath: downloaded) == onCoordinator)
        let model = try ModelFile.read(path: downloaded)
        #expect(model.training.jobID == 1)
        let unknown = try await TrainyardProcess.run(["jobs", "download", "99", "--out", downloaded] + connection)
        #expect(unknown.status != 0 && unknown.stderr.contains("no job 99"), "\(unknown.stderr)")
        // With the worker stopped, the job makes no progress: the "submitted" line is all there is to print, and it must
        // reach the file now, not when the buffer fills or the process exits.
        let worker = try #require(cluster.workers["w1"])
        worker.signal(SIGSTOP)
        let long = try TrainyardProcess(["submit", "train", "--data", data, "--label", "churned", "--n-trees", "5000",
                                         "--wait", "--json"] + connection)
        defer {
            worker.signal(SIGCONT)
            long.stop()
        }
        let streamed = await eventually(timeout: .seconds(8)) { () -> Bool? in
            long.output().contains("\"event\":\"submitted\"") ? true : nil
        }
        #expect(streamed != nil && long.isRunning, "--json lines must reach a pipe or file as they happen: \(long.output()) \(long.log)")
        let early = try await TrainyardProcess.run(["jobs", "download", "2", "--out", downloaded] + connection)
        #expect(early.status != 0 && early.stderr.contains("its model is ready when it succeeds"), "\(early.stderr)")
        worker.signal(SIGCONT)

        let list = try await TrainyardProcess.run(["jobs", "list"] + connection)
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(list.stdout)")
        for column in ["STATE", "WORKERS", "ROUNDS"] {
            let start = try #require(lines[0].range(of: column)).lowerBound.utf16Offset(in: lines[0])
            for line in lines.dropFirst() {
                let before = line.utf16.prefix(start)
                #expect(before.last == UInt16(UInt8(ascii: " ")) && line.utf16.count > start
                        && line.utf16[line.utf16.index(line.utf16.startIndex, offsetBy: start)] != UInt16(UInt8(ascii: " ")),
                        "\(column) misaligned:\n\(list.stdout)")
            }
        }

        let cancel = try await TrainyardProcess.run(["jobs", "cancel", "2"] + connection)
        #expect(cancel.status == 0 && cancel.stdout.contains("job 2: cancellation requested"), "\(cancel.stdout)\(cancel.stderr)")
        let finished = try await TrainyardProcess.run(["jobs", "cancel", "1"] + connection)
        #expect(finished.status != 0)
        #expect(finished.stderr.contains("job 1 already succeeded; nothing to cancel"), "\(finished.stderr)")

        // A model file damaged on the coordinator's disk is refused there, not sent.
        var damaged = onCoordinator
        damaged[damaged.count - 2] ^= 0x01
        try damaged.write(to: URL(fileURLWithPath: cluster.stateDirectory + "/models/job-1.model"))
        try? FileManager.default.removeItem(atPath: downloaded)
        let refused = try await TrainyardProcess.run(["jobs", "download", "1", "--out", downloaded] + connection)
        #expect(refused.status != 0 && refused.stderr.contains("model file on the coordinator is damaged"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: downloaded))
    }

    // MARK: predictions query --counts prints text unless --json

    @Test func predictionCountsAreTextUnlessJSON() async throws {
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "300", "--out", path("c.csv")]).status == 0)
        #expect(try await TrainyardProcess.run(["train", "--data", path("c.csv"), "--label", "churned", "--n-trees", "3",
                                                "--out", path("m.tym")]).status == 0)
        let replica = try TrainyardProcess(["serve", "--model-file", path("m.tym"), "--log", path("log.sqlite"), "--listen", "127.0.0.1:57512"])
        defer { replica.stop() }
        _ = await eventually(timeout: .seconds(20)) { replica.log.contains("replica listening") ? true : nil }
        try #"{"tenure_months": 3}"#.write(toFile: path("row.json"), atomically: true, encoding: .utf8)
        _ = try await TrainyardProcess.run(["loadtest", "--url", "http://127.0.0.1:57512/predict", "--body", path("row.json"),
                                            "--requests", "4", "--concurrency", "1"])
        let text = try await TrainyardProcess.run(["predictions", "query", "--url", "http://127.0.0.1:57512", "--counts"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout == "STATUS  RECORDS\n400     4\n", "\(text.stdout)")
        let json = try await TrainyardProcess.run(["predictions", "query", "--url", "http://127.0.0.1:57512", "--counts", "--json"])
        #expect(try JSONDecoder().decode([String: Int].self, from: Data(json.stdout.utf8)) == ["400": 4])
        let filtered = try await TrainyardProcess.run(["predictions", "query", "--url", "http://127.0.0.1:57512", "--model-version", "2",
                                                       "--counts"])
        #expect(filtered.stdout == "no records\n", "\(filtered.stdout)")
        let missing = try await TrainyardProcess.run(["predictions", "query", "--db", path("absent.sqlite"), "--counts"])
        #expect(missing.status != 0)
        #expect(missing.stderr == "Error: cannot read the prediction log \(path("absent.sqlite")): no such file, or not readable\n",
                "\(missing.stderr)")
    }

    // MARK: a replica waiting for an alias backs off

    @Test func aReplicaWaitingForAMissingAliasBacksOffAndLogsOnce() async throws {
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "300", "--out", path("c.csv")]).status == 0)
        #expect(try await TrainyardProcess.run(["train", "--data", path("c.csv"), "--label", "churned", "--n-trees", "3",
                                                "--out", path("m.tym")]).status == 0)
        let registry = try TrainyardProcess(["registry", "--data-dir", path("registry"), "--listen", "127.0.0.1:57513"])
        defer { registry.stop() }
        _ = await eventually(timeout: .seconds(20)) { registry.log.contains("registry listening") ? true : nil }
        let replica = try TrainyardProcess(["serve", "--registry", "http://127.0.0.1:57513", "--model", "churn", "--log", "none",
                                            "--listen", "127.0.0.1:57514", "--poll-interval", "100ms"])
        defer { replica.stop() }
        try await Task.sleep(for: .seconds(3))
        // Polled every 100 ms, that was 30 warnings; backing off (100, 200, 400, 800, 1600 ms) it is one.
        let warnings = replica.log.components(separatedBy: "cannot load churn@production").count - 1
        #expect(warnings == 1, "\(replica.log)")
        #expect(replica.log.contains("retrying with backoff"))
        let registryURL = ["--registry", "http://127.0.0.1:57513"]
        #expect(try await TrainyardProcess.run(["models", "publish", "churn", "--file", path("m.tym")] + registryURL).status == 0)
        #expect(try await TrainyardProcess.run(["models", "approve", "churn", "1"] + registryURL).status == 0)
        #expect(try await TrainyardProcess.run(["models", "promote", "churn", "1"] + registryURL).status == 0)
        // The backoff is capped at 32 poll intervals (3.2 s here): the model is picked up soon after it exists.
        let served = await eventually(timeout: .seconds(8)) { replica.log.contains("serving churn version 1") ? true : nil }
        #expect(served != nil, "\(replica.log)")
        #expect(replica.log.contains("churn@production is reachable again"))
    }
}
