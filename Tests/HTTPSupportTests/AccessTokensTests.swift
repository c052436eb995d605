import Foundation
import HTTPSupport
import Testing

/// API tokens: created once, stored only as hashes, roles ordered, every refusal a 401 or 403 that says why.
struct AccessTokensTests {
    @Test func aTokenIsShownOnceAndStoredOnlyAsItsHash() throws {
        var tokens = AccessTokens()
        let secret = try tokens.create(name: "ci", role: .publisher)
        #expect(secret.hasPrefix("ty_") && secret.count == 46)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try tokens.save(path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains(secret) && !text.contains(String(secret.dropFirst(3))))
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let loaded = try AccessTokens.load(path: path)
        #expect(loaded == tokens)
        #expect(try loaded.authorize("Bearer \(secret)", needs: .publisher) == "ci")
    }

    @Test func rolesIncludeTheOnesBelowThem() throws {
        var tokens = AccessTokens()
        let reader = try tokens.create(name: "dash", role: .reader)
        let approver = try tokens.create(name: "lead", role: .approver)
        #expect(try tokens.authorize("Bearer \(reader)", needs: .reader) == "dash")
        #expect(throws: AccessError.forbidden(name: "dash", role: .reader, needed: .publisher)) {
            try tokens.authorize("Bearer \(reader)", needs: .publisher)
        }
        #expect(try tokens.authorize("bearer \(approver)", needs: .publisher) == "lead")
        #expect(throws: AccessError.forbidden(name: "lead", role: .approver, needed: .admin)) { try tokens.authorize("Bearer \(approver)", needs: .admin) }
        #expect(AccessError.forbidden(name: "lead", role: .approver, needed: .admin).status == .forbidden)
    }

    @Test(arguments: [nil, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer ty_not-a-token", "Bearer " + String(repeating: "x", count: 600)])
    func missingMalformedAndUnknownTokensAre401(header: String?) throws {
        var tokens = AccessTokens()
        _ = try tokens.create(name: "ci", role: .admin)
        #expect {
            try tokens.authorize(header, needs: .reader)
        } throws: { error in
            guard let error = error as? AccessError, case .unauthenticated = error else { return false }
            return error.status == .unauthorized
        }
    }

    @Test func namesAreCheckedAndRevokedTokensStopWorking() throws {
        var tokens = AccessTokens()
        #expect(throws: AccessError.invalidName("a b")) { try tokens.create(name: "a b", role: .reader) }
        let secret = try tokens.create(name: "ci", role: .reader)
        #expect(throws: AccessError.duplicateName("ci")) { try tokens.create(name: "ci", role: .admin) }
        try tokens.revoke(name: "ci")
        #expect(throws: AccessError.self) { try tokens.authorize("Bearer \(secret)", needs: .reader) }
        #expect(throws: AccessError.unknownName("ci")) { try tokens.revoke(name: "ci") }
    }

    @Test func serversBeyondLoopbackNeedTokensOrInsecure() throws {
        #expect(AccessControl.startProblem(host: "127.0.0.1", tokens: nil, insecure: false) == nil)
        #expect(AccessControl.startProblem(host: "::1", tokens: nil, insecure: false) == nil)
        #expect(AccessControl.startProblem(host: "0.0.0.0", tokens: nil, insecure: false)?.contains("--tokens FILE") == true)
        #expect(AccessControl.startProblem(host: "0.0.0.0", tokens: nil, insecure: true) == nil)
        var tokens = AccessTokens()
        _ = try tokens.create(name: "ci", role: .reader)
        #expect(AccessControl.startProblem(host: "10.1.2.3", tokens: tokens, insecure: false) == nil)
    }

    @Test func theEnvironmentCanHoldTheTokenFile() throws {
        var tokens = AccessTokens()
        let secret = try tokens.create(name: "env", role: .reader)
        let json = String(decoding: try JSONEncoder().encode(tokens), as: UTF8.self)
        let configured = try #require(try AccessTokens.configured(path: nil, environment: ["TRAINYARD_TOKENS": json]))
        #expect(try configured.authorize("Bearer \(secret)", needs: .reader) == "env")
        #expect(try AccessTokens.configured(path: nil, environment: [:]) == nil)
        #expect(throws: AccessError.self) { try AccessTokens.configured(path: "/nonexistent/tokens.json", environment: [:]) }
    }
}
