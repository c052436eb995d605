import Foundation
import Testing
import TestSupport
import TrainyardML

/// Jobs that train on a dataset of the registry's store: the coordinator fetches it (its data
/// roots hold nothing), pins the version, and the model records where its rows came from.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct DatasetJobTests {
    @Test func trainAndTuneJobsReadDatasetsFromTheRegistryNotTheFilesystem() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-datasets-\(UUID().uuidString.prefix(8))")
        let empty = directory.appendingPathComponent("empty-root")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("churn.csv").path
        #expect(try await TrainyardProcess.run(["data", "synth", "--rows", "3000", "--out", data]).status == 0)
        let cluster = Cluster(bind: "tcp://127.0.0.1:56260")
        cluster.dataRoots = [empty.path]                       // the coordinator cannot read the file itself
        cluster.coordinatorArguments = ["--registry-listen", "127.0.0.1:56261"]
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        try cluster.startWorker("w1")
        try #require(await cluster.waitUntilAlive(["w1"]) != nil, "\(cluster.logs)")
        let registry = ["--registry", "http://127.0.0.1:56261"]
        let uploaded = try await TrainyardProcess.run(["datasets", "upload", data, "--name", "churn", "--json"] + registry)
        #expect(uploaded.status == 0 && uploaded.stdout.contains("\"version\" : 1"), "\(uploaded.stdout)\(uploaded.stderr)")
        // The same file again is the same version.
        let again = try await TrainyardProcess.run(["datasets", "upload", data, "--name", "churn"] + registry)
        #expect(again.stdout.hasPrefix("churn@1 "), "\(again.stdout)")

        let submitted = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--dataset", "churn",
                                                        "--label", "churned", "--n-trees", "10", "--wait", "--json"], timeout: .seconds(120))
        #expect(submitted.status == 0, "\(submitted.stderr)\n\(cluster.logs)")
        let job = try #require(submitted.stdout.split(separator: "\n").last.flatMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["job"] as? [String: Any]
        })
        #expect(job["state"] as? String == "succeeded" && job["dataset"] as? String == "churn@1", "\(job)")
        // Published under the dataset's name, with the dataset in its lineage.
        let model = try await TrainyardProcess.run(["models", "show", "churn", "--json"] + registry)
        #expect(model.stdout.contains("\"dataset\" : \"churn@1\""), "\(model.stdout)")

        let space = directory.appendingPathComponent("space.yaml").path
        try "eta: {uniform: [0.1, 0.3]}\n".write(toFile: space, atomically: true, encoding: .utf8)
        let tuned = try await TrainyardProcess.run(["submit", "tune", "--coordinator", cluster.endpoint, "--dataset", "churn@1",
                                                    "--label", "churned", "--space", space, "--strategy", "random", "--trials", "2",
                                                    "--n-trees", "8", "--model-name", "churn-tuned", "--wait"], timeout: .seconds(120))
        #expect(tuned.status == 0 && tuned.stdout.contains("2/2 done (2 complete"), "\(tuned.stdout)\(tuned.stderr)\n\(cluster.logs)")

        // A dataset or version the registry does not have is refused before anything is queued; a local run needs a file.
        let missing = try await TrainyardProcess.run(["submit", "train", "--coordinator", cluster.endpoint, "--dataset", "churn@9",
                                                      "--label", "churned"])
        #expect(missing.status != 0 && missing.stderr.contains("dataset 'churn' has no version 9"), "\(missing.stderr)")
        let local = try await TrainyardProcess.run(["train", "--dataset", "churn", "--label", "churned", "--out", "/dev/null"])
        #expect(local.status != 0 && local.stderr.contains("--dataset is for jobs on a coordinator"), "\(local.stderr)")
    }
}
