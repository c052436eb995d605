import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import TestSupport
import Testing

/// TLS on the registry, a replica and the proxy (`--tls-cert`, `--tls-key`) and `https://` with `--ca-file` in the
/// clients (`models`, `serve`'s registry client, `loadtest`), as real processes with certificates made by `openssl`.
/// Ports 57480–57489.
@Suite(.serialized)
struct TLSServingTests {

    @Test func everyServerSpeaksHTTPSAndEveryClientChecksTheCertificate() async throws {
        let stack = try ServingStack(basePort: 57480)
        defer { stack.stop() }
        let certificates = try TestCertificates(in: stack.directory)
        let serverTLS = ["--tls-cert", certificates.certificateFile, "--tls-key", certificates.keyFile]
        let trust = ["--ca-file", certificates.caFile]
        let registry = "https://127.0.0.1:57480"
        try await stack.trainModels(rows: 300)

        // The registry over HTTPS; `models` publishes to it trusting the private CA.
        try await stack.start("registry", ["registry", "--data-dir", stack.path("registry"), "--listen", "127.0.0.1:57480"] + serverTLS,
                              ready: "registry listening on https://")
        let published = try await stack.run(["models", "publish", "churn", "--file", stack.path("v1.model"), "--registry", registry, "--json"] + trust)
        #expect(published.contains("\"version\" : 1"), "\(published)")
        try await stack.run(["models", "approve", "churn", "1", "--registry", registry] + trust)
        try await stack.run(["models", "promote", "churn", "1", "--registry", registry] + trust)

        // Without the CA the certificate is not trusted, and the error says what to do; the same goes for a plain
        // http:// URL to an HTTPS server, and for an https:// URL to a plain server.
        let untrusted = try await TrainyardProcess.run(["models", "list", "--registry", registry])
        #expect(untrusted.status != 0 && untrusted.stderr.contains("not trusted") && untrusted.stderr.contains("--ca-file"), "\(untrusted.stderr)")
        let plain = try await TrainyardProcess.run(["models", "list", "--registry", "http://127.0.0.1:57480"])
        #expect(plain.status != 0 && plain.stderr.contains("https://"), "\(plain.stderr)")
        let listed = try await TrainyardProcess.run(["models", "list", "--registry", registry, "--json"], environment: ["TRAINYARD_CA_FILE": certificates.caFile])
        #expect(listed.status == 0 && listed.stdout.contains("churn"), "\(listed.stderr)")

        // A replica serving HTTPS, following the HTTPS registry; and a plain one behind the HTTPS proxy.
        try await stack.start("replica0", ["serve", "--registry", registry, "--model", "churn", "--listen", "127.0.0.1:57481",
                                           "--log", "none", "--header-timeout", "1s"] + serverTLS + trust, ready: "replica listening on https://")
        try await stack.start("replica1", ["serve", "--registry", registry, "--model", "churn", "--listen", "127.0.0.1:57482",
                                           "--log", "none"] + trust, ready: "replica listening on http://")
        try await stack.start("proxy", ["proxy", "--listen", "127.0.0.1:57489", "--health-interval", "100ms", "--backend", "http://127.0.0.1:57482"]
                                + serverTLS, ready: "proxy listening on https://")
        let tls = try TLSTrustingClient(caFile: certificates.caFile)
        try await waitUntil("the HTTPS replica to load its model") { (try? await tls.get("https://127.0.0.1:57481/v2/health/ready").status) == 200 }
        try await waitUntil("the proxy to see its backend") { (try? await tls.post("https://127.0.0.1:57489/predict", ServingStack.churnRecord).status) == 200 }
        for url in ["https://127.0.0.1:57481/predict", "https://localhost:57481/predict", "https://127.0.0.1:57489/predict"] {
            let reply = try await tls.post(url, ServingStack.churnRecord)
            #expect(reply.status == 200 && reply.body.contains("\"class\""), "\(url): \(reply.status) \(reply.body)")
        }

        // A client that does not trust the CA cannot talk to them; one that trusts another certificate neither.
        await #expect(throws: (any Error).self) { _ = try await ServingStack.send(HTTPClientRequest(url: "https://127.0.0.1:57481/v2/health/ready")) }

        // loadtest over HTTPS through the proxy: every request answered; without the CA every connection fails, as TLS.
        let load = try await TrainyardProcess.run(["loadtest", "--url", "https://127.0.0.1:57489/predict", "--body", try bodyFile(stack),
                                                   "--concurrency", "4", "--requests", "400", "--json"] + trust, timeout: .seconds(60))
        #expect(load.status == 0, "\(load.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(load.stdout.utf8)) as? [String: Any])
        #expect(report["responses"] as? Int == 400, "\(load.stdout)")
        #expect((report["statusCounts"] as? [String: Int])?["200"] == 400, "\(load.stdout)")
        let refused = try await TrainyardProcess.run(["loadtest", "--url", "https://127.0.0.1:57489/predict", "--body", try bodyFile(stack),
                                                      "--concurrency", "2", "--duration", "1s", "--json"], timeout: .seconds(60))
        #expect(refused.status != 0, "\(refused.stdout)")
        #expect(refused.stdout.contains("\"tls\""), "\(refused.stdout) \(refused.stderr)")

        // Plain HTTP sent to the HTTPS proxy gets no answer but costs nothing; a TLS handshake that stalls after its
        // first bytes runs into the replica's header timeout (1 s here), as a trickled head would.
        let plainText = try RawConnection(port: 57489)
        plainText.send("POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}")
        let ignored = plainText.receive(timeout: .seconds(5))
        #expect(ignored.closed && !ignored.text.contains("HTTP/1.1 200"), "\(ignored.text.prefix(100).debugDescription)")
        let stalled = try RawConnection(port: 57481)
        stalled.send("\u{16}\u{03}\u{01}\u{00}")
        let started = ContinuousClock.now
        let closed = stalled.receive(timeout: .seconds(10))
        #expect(closed.closed && ContinuousClock.now - started < .seconds(8), "\(ContinuousClock.now - started)")
        let stalledAtProxy = try RawConnection(port: 57489)
        stalledAtProxy.send("\u{16}\u{03}\u{01}\u{00}")
        let proxyStarted = ContinuousClock.now
        let proxyClosed = stalledAtProxy.receive(timeout: .seconds(20))
        #expect(proxyClosed.closed && ContinuousClock.now - proxyStarted < .seconds(15), "\(ContinuousClock.now - proxyStarted)")
        #expect(try await tls.post("https://127.0.0.1:57489/predict", ServingStack.churnRecord).status == 200)
        #expect(try await tls.post("https://127.0.0.1:57481/predict", ServingStack.churnRecord).status == 200)
    }

    @Test func aServerRefusesToStartOnUnusableTLSFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try TestCertificates(in: directory)
        let listen = "127.0.0.1:57488"
        let cases: [(arguments: [String], message: String)] = [
            (["registry", "--listen", listen, "--tls-cert", certificates.certificateFile], "--tls-key is missing"),
            (["serve", "--model-file", "x.model", "--listen", listen, "--tls-key", certificates.keyFile], "--tls-cert is missing"),
            (["proxy", "--backend", "http://127.0.0.1:1", "--listen", listen, "--tls-cert", directory.path + "/nope.pem",
              "--tls-key", certificates.keyFile], "no such file"),
            (["registry", "--listen", listen, "--tls-cert", certificates.certificateFile, "--tls-key", certificates.strangerKeyFile],
             "cannot be used together"),
            (["registry", "--listen", listen, "--tls-cert", certificates.keyFile, "--tls-key", certificates.keyFile], "--tls-cert"),
            (["models", "list", "--registry", "https://127.0.0.1:1", "--ca-file", certificates.keyFile], "--ca-file"),
            (["coordinator", "--tls-cert", certificates.certificateFile, "--tls-key", certificates.keyFile], "--registry-listen"),
            // The coordinator's embedded registry obeys the servers' rule: no tokens, no listening beyond loopback.
            (["coordinator", "--bind", "tcp://127.0.0.1:57487", "--state-dir", directory.path + "/state", "--registry-listen", "0.0.0.0:57488"],
             "without API tokens"),
        ]
        for (arguments, message) in cases {
            let result = try await TrainyardProcess.run(arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    private func bodyFile(_ stack: ServingStack) throws -> String {
        let path = stack.path("record.json")
        try ServingStack.churnRecord.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// An HTTP client that trusts one CA file (and nothing else) for `https://` URLs.
struct TLSTrustingClient {
    let configuration: TLSConfiguration

    init(caFile: String) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        self.configuration = configuration
    }

    func get(_ url: String) async throws -> ServingStack.Reply {
        try await ServingStack.send(ServingStack.request(url, tls: configuration))
    }

    func post(_ url: String, _ body: String) async throws -> ServingStack.Reply {
        try await ServingStack.send(ServingStack.request(url, body: body, tls: configuration))
    }
}
