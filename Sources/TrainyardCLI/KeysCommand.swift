import ArgumentParser
import ZeroMQ

/// `trainyard keys`: CurveZMQ key pairs for the coordinator, workers and CLI clients.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "CurveZMQ keys for encrypted, authenticated coordinator–worker traffic.",
        subcommands: [Generate.self]
    )

    /// `trainyard keys generate --out PREFIX`.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub (public), Z85 text."
        )

        @Option(help: "Path prefix of the two files; existing files are never overwritten.")
        var out: String

        func run() throws {
            do {
                let key = try CurveKeyFile.generate(prefix: out)
                print("wrote \(out).key (secret, mode 0600) and \(out).pub (public key \(key.z85))")
            } catch {
                throw CommandFailure(error.description)
            }
        }
    }
}
