import Crypto
import Foundation
import GRDB
import Synchronization
import TestSupport
import Testing
import TrainyardML

/// Registry, replicas and proxy as real processes, attacked the way issue 19 found them fail: each test fails on
/// the code before it (a request that killed every replica, a model that crash-looped them, heads that hung the proxy).
/// Ports 57400–57429.
@Suite(.serialized)
struct HostileServingTests {

    @Test func oneHostileRequestNoLongerTakesTheTierDown() async throws {
        let stack = try ServingStack(basePort: 57400)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0)
        try await stack.startReplica(1)
        try await stack.startProxy(replicas: [0, 1])

        // A V2 shape whose product passes Int.max trapped the decoder; the proxy retried it on the other replica.
        let overflow = #"{"inputs":[{"name":"age","shape":[1e14,1e14],"datatype":"FP32","data":[1]}]}"#
        for _ in 0..<4 {
            let reply = try await stack.post(stack.proxyURL + "/v2/models/churn/infer", overflow)
            #expect(reply.status == 400, "\(reply.body)")
            #expect(reply.body.contains("more elements than any body can carry"), "\(reply.body)")
        }
        #expect(stack.process("replica0")?.isRunning == true && stack.process("replica1")?.isRunning == true)

        // An 8 KB or markup X-Request-Id is not echoed: the proxy makes an id, and the replica logs that one.
        for hostile in [String(repeating: "x", count: 8000), "<script>alert(1)</script>"] {
            let reply = try await stack.post(stack.proxyURL + "/predict", ServingStack.churnRecord, headers: ["X-Request-Id": hostile])
            #expect(reply.status == 200)
            let id = try #require(reply.headers["x-request-id"])
            #expect(id != hostile && id.utf8.count == 16, "\(id.prefix(40))")
        }
        let direct = try await stack.post(stack.replicaURL(0) + "/predict", ServingStack.churnRecord, headers: ["X-Request-Id": "<b>" + String(repeating: "y", count: 300)])
        #expect(direct.headers["x-request-id"]?.utf8.count == 16)

        // A head whose lines end in bare LF is answered 400 at once (it hung until the client left).
        let bareLF = try RawConnection(port: stack.basePort + 9)
        bareLF.send("POST /predict HTTP/1.1\nHost: a\nContent-Length: 2\n\n{}")
        let refused = bareLF.receive(timeout: .seconds(5)) { $0.contains("\r\n\r\n") }
        #expect(refused.text.hasPrefix("HTTP/1.1 400"), "\(refused.text.prefix(200).debugDescription)")

        // A malformed chunked body gets 400 naming the problem (the connection was closed without a word).
        let chunked = try RawConnection(port: stack.basePort + 9)
        chunked.send("POST /predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc\r\nzz\r\n")
        let answer = chunked.receive(timeout: .seconds(5)) { $0.contains("}") }
        #expect(answer.text.hasPrefix("HTTP/1.1 400") && answer.text.contains("chunk"), "\(answer.text.prefix(300).debugDescription)")

        // The tier still serves, from both replicas.
        var versions = Set<String>()
        for _ in 0..<6 {
            let reply = try await stack.post(stack.proxyURL + "/predict", ServingStack.churnRecord)
            #expect(reply.status == 200)
            versions.insert(reply.headers["x-model-version"] ?? "")
        }
        #expect(versions == ["1"])
        #expect(stack.process("replica0")?.isRunning == true && stack.process("replica1")?.isRunning == true)
    }

    @Test func aReplicaToldToServeABrokenModelKeepsItsVersionAndSaysWhy() async throws {
        let stack = try ServingStack(basePort: 57410)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        // v2 with a split on a feature the model does not have: a valid header and SHA-256, a broken structure.
        var broken = try ModelFile.read(path: stack.path("v2.model"))
        guard case .gbdt(var forest) = broken.estimator else { Issue.record("not a GBDT"); return }
        forest.trees[3].feature[0] = 1_000_000
        broken.estimator = .gbdt(forest)
        let bytes = try ModelFile.encode(broken)
        try Data(bytes).write(to: URL(fileURLWithPath: stack.path("broken.model")))

        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        // The registry refuses it at publish, naming the problem.
        let publish = try TrainyardProcess(["models", "publish", "churn", "--file", stack.path("broken.model"), "--registry", stack.registryURL])
        let status = await publish.waitForExit(timeout: .seconds(60))
        #expect(status != nil && status != 0)
        #expect(publish.log.contains("gbdt.trees[3]: node 0 splits on feature 1000000"), "\(publish.log)")
        publish.stop()

        try await stack.startReplica(0)
        // A registry filled by an older release, or a blob written behind its back: the version row and blob are
        // put in place directly, approved and promoted.
        let sha256 = SHA256.hash(data: bytes).hex
        let blob = stack.path("registry/blobs/sha256/\(sha256.prefix(2))/\(sha256)")
        try FileManager.default.createDirectory(atPath: (blob as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: blob))
        let database = try DatabaseQueue(path: stack.path("registry/registry.sqlite"))
        try await database.write { db in
            let info = try #require(try String.fetchOne(db, sql: "SELECT info FROM version WHERE name = 'churn' AND version = 1"))
            var object = try #require(try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any])
            object["version"] = 2
            object["sha256"] = sha256
            object["bytes"] = bytes.count
            let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            try db.execute(sql: "INSERT INTO version (name, version, sha256, info, status) VALUES ('churn', 2, ?, ?, 'approved')",
                           arguments: [sha256, text])
            try db.execute(sql: "UPDATE alias SET version = 2 WHERE name = 'churn' AND alias = 'production'")
        }

        try await waitUntil("the replica to refuse version 2") {
            ((try? await stack.get(stack.replicaURL(0) + "/v2/models/churn"))?.body.contains("\"refused\"")) == true
        }
        let metadata = try await stack.get(stack.replicaURL(0) + "/v2/models/churn")
        let refused = try #require((metadata.json as? [String: Any])?["refused"] as? [String: Any])
        #expect(refused["version"] as? Int == 2)
        #expect((refused["reason"] as? String)?.contains("gbdt.trees[3]") == true)
        let reply = try await stack.post(stack.replicaURL(0) + "/predict", ServingStack.churnRecord)
        #expect(reply.status == 200 && reply.headers["x-model-version"] == "1")
        let metrics = try await stack.get(stack.replicaURL(0) + "/metrics")
        #expect(metrics.body.contains("trainyard_model_refusals_total 1"), "\(metrics.body)")
        // Refused once: not downloaded and refused again at every poll.
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await stack.get(stack.replicaURL(0) + "/metrics").body.contains("trainyard_model_refusals_total 1"))
        #expect(stack.process("replica0")?.isRunning == true)

        // A replica started while the alias points at it does not crash-loop: it stays up, unready, and says why.
        stack.process("replica0")?.stop()
        try await stack.start("replica0", ["serve", "--registry", stack.registryURL, "--model", "churn", "--listen", "127.0.0.1:\(stack.basePort + 1)",
                                           "--log", "none", "--poll-interval", "100ms"], ready: "replica listening")
        try await waitUntil("the restarted replica to refuse version 2") {
            ((try? await stack.get(stack.replicaURL(0) + "/v2/models/churn"))?.body.contains("version 2 was refused")) == true
        }
        #expect(try await stack.get(stack.replicaURL(0) + "/v2/health/ready").status == 503)
        #expect(stack.process("replica0")?.isRunning == true)
    }
}

/// Slow clients against the registry, a replica and the proxy started with short timeouts: trickled heads and bodies
/// get 408, idle connections close, an oversized body's connection closes after its 413 — and fast clients are served
/// all along, even when the slow ones outnumber the proxy's request slots. Ports 57420–57429.
@Suite(.serialized)
struct SlowClientTests {
    static let timeouts = ["--header-timeout", "1s", "--body-timeout", "2s", "--idle-timeout", "3s"]

    /// Sends `text` on a new connection and waits up to `within` for the server's answer or close.
    func answer(port: Int, _ text: String, within: Duration) throws -> (text: String, closed: Bool, after: Duration) {
        let connection = try RawConnection(port: port)
        connection.send(text)
        let start = ContinuousClock.now
        let reply = connection.receive(timeout: within)
        return (reply.text, reply.closed, ContinuousClock.now - start)
    }

    @Test func slowClientsAreCutOffAndNeverStarveFastOnes() async throws {
        let stack = try ServingStack(basePort: 57420)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.start("registry", ["registry", "--data-dir", stack.path("registry"), "--listen", "127.0.0.1:\(stack.basePort)"] + Self.timeouts,
                              ready: "registry listening")
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0, extra: Self.timeouts + ["--max-body-bytes", "4096"])
        try await stack.startProxy(replicas: [0], extra: Self.timeouts + ["--max-in-flight", "4"])
        let proxy = stack.basePort + 9, replica = stack.basePort + 1, registry = stack.basePort

        // Twelve clients that send a head and a little of the body, then nothing: three times the proxy's slots.
        let partialBody = "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"tenure"
        let slow = try (0..<12).map { _ in try RawConnection(port: proxy) }
        for connection in slow { connection.send(partialBody) }
        try await Task.sleep(for: .milliseconds(200))
        // Fast clients are served meanwhile: the slow ones hold no request slot.
        for _ in 0..<20 {
            let reply = try await stack.post(stack.proxyURL + "/predict", ServingStack.churnRecord)
            #expect(reply.status == 200, "\(reply.status) \(reply.body)")
        }
        // Each slow client gets 408 once its body time is up, and its connection closes.
        for connection in slow {
            let reply = connection.receive(timeout: .seconds(5))
            #expect(reply.text.hasPrefix("HTTP/1.1 408") && reply.text.contains("body timeout"), "\(reply.text.prefix(200).debugDescription)")
        }

        for (name, port) in [("proxy", proxy), ("replica", replica), ("registry", registry)] {
            // A head trickled and left unfinished: 408 after the header timeout.
            let head = try answer(port: port, "GET /v2/health/ready HTTP/1.1\r\nHost: a\r\nX-Slow: 1", within: .seconds(5))
            #expect(head.text.hasPrefix("HTTP/1.1 408"), "\(name): \(head.text.prefix(200).debugDescription)")
            #expect(head.after >= .milliseconds(900) && head.after < .seconds(4), "\(name): 408 after \(head.after)")
            // A connection that never sends anything: closed after the idle timeout, without a response.
            let idle = try answer(port: port, "", within: .seconds(6))
            #expect(idle.closed && idle.text.isEmpty, "\(name): \(idle.text.prefix(100).debugDescription) closed \(idle.closed)")
            #expect(idle.after >= .milliseconds(2500), "\(name): closed after \(idle.after)")
        }

        // The replica answers an oversized body with 413 and closes, instead of leaving the client writing.
        let oversized = try RawConnection(port: replica)
        oversized.send("POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                       + String(repeating: " ", count: 20_000))
        let refused = oversized.receive(timeout: .seconds(5)) { _ in false }
        #expect(refused.text.hasPrefix("HTTP/1.1 413"), "\(refused.text.prefix(200).debugDescription)")
        #expect(refused.closed, "the replica must close after a 413")

        for key in ["proxy", "replica0", "registry"] { #expect(stack.process(key)?.isRunning == true, "\(key) died") }
        let after = try await stack.post(stack.proxyURL + "/predict", ServingStack.churnRecord)
        #expect(after.status == 200)
    }
}

/// Uploads are streamed to disk: the registry's memory stays flat however large the uploads, refused ones leave no
/// file behind, and one over `--max-artifact-bytes` is cut off with 413. Ports 57430–57439.
@Suite(.serialized)
struct RegistryUploadTests {
    /// Peak resident memory of a process, in bytes (`VmHWM`).
    func peakResidentBytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1024
    }

    /// Sends `count` bytes of `fill` as an artifact upload on a raw connection and returns the answer.
    func upload(port: Int, count: Int, fill: UInt8 = UInt8(ascii: "x"), chunked: Bool = false) throws -> String {
        let connection = try RawConnection(port: port)
        connection.send("POST /api/v1/models/churn/versions HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\n"
                        + (chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: \(count)\r\n\r\n"))
        let piece = String(repeating: Character(UnicodeScalar(fill)), count: 1 << 20)
        var sent = 0
        while sent < count {
            let part = min(piece.utf8.count, count - sent)
            let text = part == piece.utf8.count ? piece : String(piece.prefix(part))
            guard connection.send(chunked ? String(part, radix: 16) + "\r\n" + text + "\r\n" : text) else { break }
            sent += part
        }
        if chunked { connection.send("0\r\n\r\n") }
        return connection.receive(timeout: .seconds(30)) { $0.contains("}") }.text
    }

    @Test func largeUploadsAreStreamedToDiskAndRefusedOnesLeaveNothing() async throws {
        let stack = try ServingStack(basePort: 57430)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.start("registry", ["registry", "--data-dir", stack.path("registry"), "--listen", "127.0.0.1:\(stack.basePort)",
                                           "--max-artifact-bytes", "\(400 << 20)"], ready: "registry listening")
        let pid = try #require(stack.process("registry")?.pid)
        let before = try peakResidentBytes(pid)

        // Four concurrent 96 MiB uploads that are not model files: each is read to its end, refused with 400.
        let port = stack.basePort
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 { group.addTask { try self.upload(port: port, count: 96 << 20) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        for answer in answers { #expect(answer.hasPrefix("HTTP/1.1 400") && answer.contains("not a Trainyard model"), "\(answer.prefix(300))") }
        let grown = try peakResidentBytes(pid) - before
        #expect(grown < 96 << 20, "peak memory grew by \(grown >> 20) MiB for 4 × 96 MiB of uploads")

        // Over the limit, without a Content-Length to refuse it early: cut off at the limit with 413.
        let over = try upload(port: port, count: 401 << 20, chunked: true)
        #expect(over.hasPrefix("HTTP/1.1 413"), "\(over.prefix(300))")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: stack.path("registry/blobs/sha256")).filter { $0.hasPrefix(".upload") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        // A real model still publishes, from the stream, with its SHA-256.
        try await stack.publishAndPromote("v1.model")
        let model = try await stack.get(stack.registryURL + "/api/v1/models/churn/versions/1")
        #expect(model.status == 200 && model.body.contains("\"status\":\"approved\""))
        #expect(stack.process("registry")?.isRunning == true)
    }
}

/// `--log-durability commit`: a replica killed with SIGKILL under load has logged every request it answered 200 —
/// in its journal, which the replica's next start copies into the log. Ports 57440–57449.
@Suite(.serialized)
struct LogDurabilityTests {
    @Test func underCommitDurabilityAKilledReplicaHasLoggedEveryAnsweredRequest() async throws {
        let stack = try ServingStack(basePort: 57440)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        try await stack.publishAndPromote("v1.model")
        try await stack.startReplica(0, extra: ["--log-durability", "commit"])
        let url = stack.replicaURL(0) + "/predict"
        final class Shared: Sendable {
            let answered = Mutex<[String]>([])
            let stop = Mutex(false)
        }
        let shared = Shared()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    var index = 0
                    while !shared.stop.withLock({ $0 }) {
                        index += 1
                        let id = "c\(client)-\(index)"
                        guard let reply = try? await stack.post(url, ServingStack.churnRecord, headers: ["X-Request-Id": id], timeout: .seconds(2)) else {
                            continue
                        }
                        if reply.status == 200 { shared.answered.withLock { $0.append(id) } }
                    }
                }
            }
            try await Task.sleep(for: .seconds(3))
            stack.process("replica0")?.signal(SIGKILL)
            try await Task.sleep(for: .milliseconds(300))
            shared.stop.withLock { $0 = true }
            try await group.waitForAll()
        }
        let ids = shared.answered.withLock { $0 }
        // Enough answers that some were in flight at the kill (a loaded 2-core machine answers a few hundred).
        #expect(ids.count > 20, "only \(ids.count) requests were answered before the kill")
        // Started again on the same log: the journal the kill left is replayed before it serves.
        try await stack.startReplica(0, extra: ["--log-durability", "commit"])
        let database = try DatabaseQueue(path: stack.path("predictions-0.sqlite"))
        let logged = Set(try await database.read { db in try String.fetchAll(db, sql: "SELECT request_id FROM prediction") })
        let missing = ids.filter { !logged.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(ids.count) answered requests are not in the log: \(missing.prefix(5))")
    }
}

/// API tokens with roles on the registry, a replica's prediction log and the proxy's backend list; the audit trail
/// names the actor; a server beyond loopback without tokens refuses to start. Ports 57450–57459.
@Suite(.serialized)
struct AccessTokenTests {
    func token(_ stack: ServingStack, _ name: String, _ role: String) async throws -> String {
        try await stack.run(["tokens", "create", "--file", stack.path("tokens.json"), "--name", name, "--role", role])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func get(_ stack: ServingStack, _ url: String, token: String?) async throws -> ServingStack.Reply {
        try await stack.get(url, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:])
    }

    @Test func everyGuardedRouteNeedsATokenOfItsRoleAndTheAuditNamesTheActor() async throws {
        let stack = try ServingStack(basePort: 57450)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        let reader = try await token(stack, "dashboard", "reader")
        let publisher = try await token(stack, "ci", "publisher")
        let approver = try await token(stack, "release-lead", "approver")
        try await stack.start("registry", ["registry", "--data-dir", stack.path("registry"), "--listen", "127.0.0.1:\(stack.basePort)",
                                           "--tokens", stack.path("tokens.json")], ready: "registry listening")
        let models = stack.registryURL + "/api/v1/models"
        let anonymous = try await get(stack, models, token: nil)
        #expect(anonymous.status == 401 && anonymous.headers["www-authenticate"] == "Bearer", "\(anonymous.status) \(anonymous.body)")
        #expect((try await get(stack, models, token: "ty_forged")).status == 401)
        #expect((try await get(stack, models, token: reader)).status == 200)
        #expect((try await stack.get(stack.registryURL + "/health")).status == 200, "health stays open")

        // The CLI sends --token (or TRAINYARD_TOKEN); a reader cannot publish, a publisher cannot approve.
        let file = stack.path("v1.model")
        await #expect(throws: (any Error).self) {
            try await stack.run(["models", "publish", "churn", "--file", file, "--registry", stack.registryURL, "--token", reader])
        }
        try await stack.run(["models", "publish", "churn", "--file", file, "--registry", stack.registryURL, "--token", publisher])
        await #expect(throws: (any Error).self) {
            try await stack.run(["models", "approve", "churn", "1", "--registry", stack.registryURL, "--token", publisher])
        }
        try await stack.run(["models", "approve", "churn", "1", "--registry", stack.registryURL, "--token", approver])
        try await stack.run(["models", "promote", "churn", "1", "--registry", stack.registryURL, "--token", approver])
        let audit = try await get(stack, models + "/churn/audit", token: reader)
        let actors = ((audit.json as? [[String: Any]]) ?? []).map { "\($0["action"] ?? "")=\($0["actor"] ?? "")" }
        #expect(actors == ["publish=ci", "approve=release-lead", "promote=release-lead"], "\(audit.body)")

        // A replica reads the registry with its token and guards its prediction log; predictions stay open.
        try await stack.start("replica0", ["serve", "--registry", stack.registryURL, "--model", "churn", "--listen", "127.0.0.1:\(stack.basePort + 1)",
                                           "--log", stack.path("predictions-0.sqlite"), "--poll-interval", "100ms",
                                           "--tokens", stack.path("tokens.json"), "--registry-token", reader], ready: "replica listening")
        try await waitUntil("the replica to load its model") { (try? await stack.get(stack.replicaURL(0) + "/v2/health/ready").status) == 200 }
        #expect((try await stack.post(stack.replicaURL(0) + "/predict", ServingStack.churnRecord)).status == 200)
        #expect((try await get(stack, stack.replicaURL(0) + "/predictions", token: nil)).status == 401)
        #expect((try await get(stack, stack.replicaURL(0) + "/predictions/counts", token: reader)).status == 200)

        // The proxy guards /proxy/backends and forwards everything else as before.
        try await stack.startProxy(replicas: [0], extra: ["--tokens", stack.path("tokens.json")])
        #expect((try await get(stack, stack.proxyURL + "/proxy/backends", token: nil)).status == 401)
        #expect((try await get(stack, stack.proxyURL + "/proxy/backends", token: reader)).status == 200)
        #expect((try await stack.post(stack.proxyURL + "/predict", ServingStack.churnRecord)).status == 200)
    }

    @Test func aServerBeyondLoopbackWithoutTokensRefusesToStart() async throws {
        for arguments in [["registry", "--data-dir", NSTemporaryDirectory() + "/r-\(UUID().uuidString)", "--listen", "0.0.0.0:57458"],
                          ["proxy", "--listen", "0.0.0.0:57459", "--backend", "http://127.0.0.1:9"]] {
            let process = try TrainyardProcess(arguments)
            let status = await process.waitForExit(timeout: .seconds(30))
            #expect(status != nil && status != 0, "\(arguments[0]) started without tokens on 0.0.0.0")
            #expect(process.log.contains("without API tokens") && process.log.contains("--insecure"), "\(process.log)")
            process.stop()
        }
    }
}
