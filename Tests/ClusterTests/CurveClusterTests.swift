import Foundation
import Testing
import TestSupport
import TrainyardML

/// CurveZMQ with real processes: an allowed worker joins and trains the local model over
/// encrypted traffic; a worker with an unknown key and a plaintext worker never join, and
/// both sides say why.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct CurveClusterTests {
    /// Key pairs for the coordinator, workers `w1`/`w2`, an admin client and a stranger; the
    /// allowlist directory holds the public keys of w1, w2 and admin.
    struct Keys {
        let directory: String
        var allow: String { directory + "/allowed" }
        func secret(_ name: String) -> String { directory + "/\(name).key" }
        func publicKey(_ name: String) -> String { directory + "/\(name).pub" }
        func z85(_ name: String) throws -> String {
            try String(contentsOfFile: publicKey(name), encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
        }
        /// Flags for a peer `name` of this coordinator.
        func client(_ name: String) -> [String] {
            ["--curve-secret-key", secret(name), "--coordinator-public-key", publicKey("coordinator")]
        }

        static func make() async throws -> Keys {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory + "/allowed", withIntermediateDirectories: true)
            for name in ["coordinator", "w1", "w2", "admin", "stranger"] {
                let result = try await TrainyardProcess.run(["keys", "generate", "--out", directory + "/" + name])
                try #require(result.status == 0, "\(result.stderr)")
            }
            for name in ["w1", "w2", "admin"] {
                try FileManager.default.copyItem(atPath: directory + "/\(name).pub", toPath: directory + "/allowed/\(name).pub")
            }
            return Keys(directory: directory)
        }
    }

    static func curveCluster(port: Int, keys: Keys) throws -> Cluster {
        let cluster = Cluster(bind: "tcp://127.0.0.1:\(port)")
        cluster.coordinatorArguments = ["--curve-secret-key", keys.secret("coordinator"), "--curve-allow", keys.allow]
        try cluster.startCoordinator()
        return cluster
    }

    /// Live worker ids by `cluster status` with the admin's keys, or nil if it got no answer.
    static func alive(_ cluster: Cluster, keys: Keys?) async -> Set<String>? {
        guard let result = try? await TrainyardProcess.run(
            ["cluster", "status", "--coordinator", cluster.endpoint, "--json", "--timeout-ms", "1000"] + (keys?.client("admin") ?? []),
            timeout: .seconds(10)), result.status == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let workers = object["workers"] as? [[String: Any]] else { return nil }
        return Set(workers.filter { $0["state"] as? String == "alive" }.compactMap { $0["workerID"] as? String })
    }

    /// The relay that records a connection's bytes (Tests/Interop/tcp_capture.py), on a free
    /// port, and that port.
    static func capture(target: Int, to file: String) throws -> (Process, port: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TrainyardProcess.packageRoot.appendingPathComponent("Tests/Interop/tcp_capture.py").path,
                             "0", "127.0.0.1:\(target)", file]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let ready = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard ready.hasPrefix("ready "), let port = Int(ready.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw CaptureError(description: "tcp_capture.py did not start listening: \(ready)")
        }
        return (process, port)
    }

    @Test func anAllowedWorkerJoinsAndTrainsTheLocalModelOverEncryptedTraffic() async throws {
        let keys = try await Keys.make()
        let data = try await DistributedTrainingTests.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "churned", "--n-trees", "8", "--valid-fraction", "0.2"]
        let local = try await DistributedTrainingTests.local(arguments)
        let cluster = try Self.curveCluster(port: 56251, keys: keys)
        let wire = keys.directory + "/wire.bin"
        let (relay, relayPort) = try Self.capture(target: 56251, to: wire)
        defer {
            kill(relay.processIdentifier, SIGKILL)
            relay.waitUntilExit()
            cluster.stopAll()
        }
        try cluster.startWorker("w1", extra: keys.client("w1"), connect: "tcp://127.0.0.1:\(relayPort)")
        try cluster.startWorker("w2", extra: keys.client("w2"))
        let joined = await eventually(timeout: .seconds(15)) { await Self.alive(cluster, keys: keys) == ["w1", "w2"] ? true : nil }
        try #require(joined != nil, "\(cluster.logs)")
        // A client without keys cannot even ask for the status.
        #expect(await Self.alive(cluster, keys: nil) == nil)

        let job = try await DistributedTrainingTests.submit(cluster, workers: 2, arguments + keys.client("admin"))
        #expect(job["state"] as? String == "succeeded", "\(job)\n\(cluster.logs)")
        #expect(DistributedTrainingTests.trained(try DistributedTrainingTests.model(of: job)) == DistributedTrainingTests.trained(local))
        #expect(cluster.coordinator!.log.contains("CURVE, 3 allowed keys"), "\(cluster.coordinator!.log)")

        // w1's traffic went through the recorder: a shard and histograms, none of it readable.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: wire))
        #expect(bytes.count > 200_000, "\(bytes.count) bytes recorded")
        for plaintext in ["TYRD", "workerID", "churned", "HISTOGRAM"] {
            #expect(bytes.range(of: Data(plaintext.utf8)) == nil, "'\(plaintext)' crossed the wire in clear")
        }
    }

    @Test func aWorkerWithAnUnknownKeyNeverJoinsAndBothSidesLogIt() async throws {
        let keys = try await Keys.make()
        let cluster = try Self.curveCluster(port: 56253, keys: keys)
        defer { cluster.stopAll() }
        try cluster.startWorker("w1", extra: keys.client("w1"))
        let stranger = try cluster.startWorker("stranger", extra: keys.client("stranger"))
        try #require(await eventually(timeout: .seconds(15)) { await Self.alive(cluster, keys: keys) == ["w1"] ? true : nil } != nil,
                     "\(cluster.logs)")
        let strangerKey = try keys.z85("stranger")
        let logged = await eventually(timeout: .seconds(10)) { () -> Bool? in
            let coordinator = cluster.coordinator!.log
            return coordinator.contains("refused a peer whose CURVE key is not in --curve-allow") && coordinator.contains(strangerKey)
                && stranger.log.contains("the coordinator refused this worker's CURVE key") ? true : nil
        }
        #expect(logged != nil, "\(cluster.logs)")
        try await Task.sleep(for: .seconds(1))
        #expect(await Self.alive(cluster, keys: keys) == ["w1"], "\(cluster.logs)")
        #expect(stranger.isRunning, "a refused worker keeps retrying, as for an unreachable coordinator")
    }

    @Test func aPlaintextWorkerCannotJoinACurveCoordinator() async throws {
        let keys = try await Keys.make()
        let cluster = try Self.curveCluster(port: 56254, keys: keys)
        defer { cluster.stopAll() }
        try cluster.startWorker("w1", extra: keys.client("w1"))
        try cluster.startWorker("plain")
        try #require(await eventually(timeout: .seconds(15)) { await Self.alive(cluster, keys: keys) == ["w1"] ? true : nil } != nil,
                     "\(cluster.logs)")
        let logged = await eventually(timeout: .seconds(10)) {
            cluster.coordinator!.log.contains("a peer failed the CURVE handshake") ? true : nil
        }
        #expect(logged != nil, "\(cluster.logs)")
        try await Task.sleep(for: .seconds(2))
        #expect(await Self.alive(cluster, keys: keys) == ["w1"], "\(cluster.logs)")
        #expect(!cluster.workers["plain"]!.log.contains("registered with coordinator"))
    }
}

struct CaptureError: Error, CustomStringConvertible {
    let description: String
}
