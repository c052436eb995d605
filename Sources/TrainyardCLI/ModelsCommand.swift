import ArgumentParser
import Foundation
import ModelRegistry
import TrainyardML

/// `trainyard models …`: the registry's models from the command line.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, show, publish, approve, promote, roll back and download registered models.",
        subcommands: [List.self, Show.self, Publish.self, Approve.self, Reject.self, Promote.self, Rollback.self, Download.self, Audit.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The registry's URL (http:// or https://).") var registry = "http://127.0.0.1:8080"
        @OptionGroup var token: ClientTokenOption
        @OptionGroup var ca: CAFileOption
        @Flag(help: "Print JSON instead of text.") var json = false

        /// Runs a registry call, turning its error into a clean command failure.
        func call<T>(_ body: (RegistryClient) async throws -> T) async throws -> T {
            let client = RegistryClient(baseURL: registry, token: token.value, tlsConfiguration: try ca.configuration())
            do { return try await body(client) } catch let error as RegistryError { throw CommandFailure(error.description) }
        }

        func emit(_ value: some Encodable, text: () -> String) throws {
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try encoder.encode(value), as: UTF8.self))
            } else {
                print(text())
            }
        }
    }

    static func line(_ version: ModelVersion) -> String {
        let metrics = version.metrics.keys.sorted().filter { $0.hasPrefix("valid.") || version.metrics.count <= 4 }
            .map { "\($0)=\(Format.metric(version.metrics[$0]!))" }.joined(separator: " ")
        let aliases = version.aliases.isEmpty ? "" : " [\(version.aliases.joined(separator: ","))]"
        return String(format: "%@ v%-4d %-9@ %@ %@%@", version.name, version.version, version.status.rawValue, String(version.sha256.prefix(12)),
                      metrics, aliases)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List models with their latest version and aliases.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let models = try await connection.call { try await $0.models() }
            try connection.emit(models) {
                guard !models.isEmpty else { return "no models yet" }
                return models.map { model in
                    let aliases = model.aliases.sorted { $0.key < $1.key }.map { "\($0.key)=v\($0.value)" }.joined(separator: " ")
                    return "\(model.name)  versions=\(model.versions.count) latest=v\(model.versions.first?.version ?? 0) \(aliases)"
                }.joined(separator: "\n")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model's versions, or one version.")
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version (default: all).") var version: Int?
        @OptionGroup var connection: Connection

        func run() async throws {
            if let version {
                let found = try await connection.call { try await $0.version(name, version) }
                try connection.emit(found) { ModelsCommand.line(found) }
            } else {
                let model = try await connection.call { try await $0.model(name) }
                try connection.emit(model) { model.versions.map(ModelsCommand.line).joined(separator: "\n") }
            }
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a model file as the next version of NAME.")
        @Argument(help: "Model name.") var name: String
        @Option(help: "Model file (written by train, import or a job).") var file: String
        @Option(help: "Free-text description kept with the version.") var description: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("cannot read \(file)") }
            do { _ = try ModelFile.decode([UInt8](data), path: file) } catch { throw CommandFailure(error.description) }
            let published = try await connection.call { try await $0.publish(name: name, artifact: [UInt8](data), description: description) }
            try connection.emit(published) { "published \(name) version \(published.version) (sha256 \(published.sha256.prefix(12))…)" }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a version (required before promoting it to production).")
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version.") var version: Int
        @Option(help: "Why, for the audit trail.") var reason: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            let changed = try await connection.call { try await $0.setStatus(name, version, .approved, reason: reason) }
            try connection.emit(changed) { "approved \(name) version \(version)" }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a version (it can no longer be promoted).")
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version.") var version: Int
        @Option(help: "Why, for the audit trail.") var reason: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            let changed = try await connection.call { try await $0.setStatus(name, version, .rejected, reason: reason) }
            try connection.emit(changed) { "rejected \(name) version \(version)" }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Point an alias (staging, production…) at a version.")
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version.") var version: Int
        @Option(help: "Alias to move.") var alias = "production"
        @Option(help: "Why, for the audit trail.") var reason: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            let promoted = try await connection.call { try await $0.promote(name, alias: alias, to: version, reason: reason) }
            try connection.emit(promoted) { "\(name)@\(alias) → version \(promoted.version)" }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move an alias back to the version it pointed at before.")
        @Argument(help: "Model name.") var name: String
        @Option(help: "Alias to move back.") var alias = "production"
        @Option(help: "Why, for the audit trail.") var reason: String?
        @OptionGroup var connection: Connection

        func run() async throws {
            let target = try await connection.call { try await $0.rollback(name, alias: alias, reason: reason) }
            try connection.emit(target) { "\(name)@\(alias) rolled back to version \(target.version)" }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a version's model file (checked against its SHA-256).")
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version (default: the alias's).") var version: Int?
        @Option(help: "Alias to download when no version is given.") var alias = "production"
        @Option(help: "Output file.") var out: String
        @OptionGroup var connection: Connection

        func run() async throws {
            let artifact = try await connection.call { client in
                if let version { return try await client.download(name, version: version) }
                return try await client.download(name, alias: alias)
            }
            do { _ = try ModelFile.decode(artifact.bytes, path: out) } catch { throw CommandFailure(error.description) }
            try AtomicFile.write(artifact.bytes, to: out)
            printError("wrote \(name) version \(artifact.version) to \(out) (\(Format.bytes(artifact.bytes.count)), sha256 \(artifact.sha256.prefix(12))…)")
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model's audit trail: publishes, approvals, promotions, rollbacks.")
        @Argument(help: "Model name.") var name: String
        @OptionGroup var connection: Connection

        func run() async throws {
            let entries = try await connection.call { try await $0.audit(name) }
            try connection.emit(entries) {
                entries.map { entry in
                    let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: entry.time))
                    let move = entry.alias.map { " \($0): \(entry.fromVersion.map { "v\($0)" } ?? "-") → v\(entry.toVersion ?? 0)" }
                        ?? entry.toVersion.map { " v\($0)" } ?? ""
                    return "\(time) \(entry.action)\(move)\(entry.reason.map { "  (\($0))" } ?? "")"
                }.joined(separator: "\n")
            }
        }
    }
}
