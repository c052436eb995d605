import Foundation
import Testing
import TestSupport
import TrainyardProtocol

/// A worker written in Python from docs/PROTOCOL.md alone joins the real coordinator:
/// the document is complete enough for a third party.
@Suite(.serialized, .timeLimit(.minutes(2)),
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
}

enum PythonWorker {
    /// `.venv/bin/python3` if it can import zmq.
    static let python: URL? = {
        let candidate = TrainyardProcess.packageRoot.appendingPathComponent(".venv/bin/python3")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else { return nil }
        let check = Process()
        check.executableURL = candidate
        check.arguments = ["-c", "import zmq"]
        check.standardError = Pipe()
        guard (try? check.run()) != nil else { return nil }
        check.waitUntilExit()
        return check.terminationStatus == 0 ? candidate : nil
    }()

    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = python!
        process.arguments = [TrainyardProcess.packageRoot.appendingPathComponent("Tests/Interop/python_worker.py").path] + arguments
        process.standardOutput = Pipe()
        try process.run()
        return process
    }
}
