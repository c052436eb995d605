import ArgumentParser
import Foundation
import HTTPSupport

/// `trainyard tokens create|list|revoke`: the API tokens servers accept (`--tokens FILE`).
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Create, list and revoke API tokens (roles: reader, publisher, approver, admin).",
        discussion: """
            The file keeps each token's name, role and SHA-256, never the token: it is printed once, by create. \
            Servers read the file with --tokens FILE (or its JSON from TRAINYARD_TOKENS); clients send the token with \
            --token, TRAINYARD_TOKEN or a file named by TRAINYARD_TOKEN_FILE.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a token and print it (once).")
        @Option(help: "Token file to add to (created if missing).") var file: String
        @Option(help: "A name for the token, recorded as the actor in audit trails.") var name: String
        @Option(help: "reader, publisher, approver or admin.") var role: AccessRole

        func run() throws {
            var tokens = try load(file)
            let secret: String
            do {
                secret = try tokens.create(name: name, role: role)
                try tokens.save(path: file)
            } catch { throw CommandFailure(error.description) }
            print(secret)
            printError("token '\(name)' (\(role.rawValue)) added to \(file); it is shown only this once")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens of a file (names, roles, creation times).")
        @Option(help: "Token file.") var file: String

        func run() throws {
            for entry in try load(file).tokens {
                print("\(entry.name.padding(toLength: max(entry.name.count, 20), withPad: " ", startingAt: 0))  \(entry.role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(entry.created)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a token; servers reject it once restarted with the file.")
        @Option(help: "Token file.") var file: String
        @Argument(help: "The token's name.") var name: String

        func run() throws {
            var tokens = try load(file)
            do {
                try tokens.revoke(name: name)
                try tokens.save(path: file)
            } catch { throw CommandFailure(error.description) }
        }
    }
}

private func load(_ file: String) throws -> AccessTokens {
    do { return try AccessTokens.load(path: file) } catch { throw CommandFailure(error.description) }
}

extension AccessRole: ExpressibleByArgument {}
