import ArgumentParser
import Foundation
import HTTPSupport

/// `--tokens FILE` and `--insecure`, shared by the servers (registry, replica, proxy): which API tokens they accept,
/// and whether they may listen beyond loopback without any.
struct AccessOptions: ParsableArguments {
    @Option(help: ArgumentHelp("API tokens accepted (a file written by `trainyard tokens create`); or set TRAINYARD_TOKENS to its JSON.",
                               valueName: "file"))
    var tokens: String?
    @Flag(help: "Listen on a non-loopback address without API tokens (anyone who can reach the server may use it).")
    var insecure = false

    /// The access rule for a server listening on `host`.
    /// - Throws: a ``CommandFailure`` if the tokens cannot be read, or if `host` is not loopback and neither tokens nor
    ///   `--insecure` were given.
    func control(listeningOn host: String) throws -> AccessControl {
        let configured: AccessTokens?
        do { configured = try AccessTokens.configured(path: tokens) } catch { throw CommandFailure(error.description) }
        if let problem = AccessControl.startProblem(host: host, tokens: configured, insecure: insecure) { throw CommandFailure(problem) }
        return AccessControl(tokens: configured)
    }
}

/// `--token` for clients of a token-guarded server; the environment's token when not given.
struct ClientTokenOption: ParsableArguments {
    @Option(help: ArgumentHelp("API token to send (Authorization: Bearer); default: TRAINYARD_TOKEN, or the file TRAINYARD_TOKEN_FILE names.",
                               valueName: "token"))
    var token: String?

    /// The token to send, if any.
    var value: String? { token ?? EnvironmentToken.value }
}

/// The API token a command takes from its environment: `TRAINYARD_TOKEN`, or the contents of the
/// file `TRAINYARD_TOKEN_FILE` names (a Docker or Kubernetes secret), surrounding whitespace trimmed.
enum EnvironmentToken {
    static var value: String? {
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["TRAINYARD_TOKEN"], !token.isEmpty { return token }
        guard let path = environment["TRAINYARD_TOKEN_FILE"], !path.isEmpty,
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }
}
