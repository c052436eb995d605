import ArgumentParser
import Foundation
import HTTPSupport
import NIOSSL

/// `--ca-file` for clients of `https://` servers: the PEM certificates a server's certificate must chain to (a private
/// CA); `TRAINYARD_CA_FILE` when not given, the system's trust store when neither is.
struct CAFileOption: ParsableArguments {
    @Option(help: ArgumentHelp("Trust https:// servers whose certificate chains to this PEM CA file; default: TRAINYARD_CA_FILE, else the system's CAs.",
                               valueName: "file"))
    var caFile: String?

    /// The CA file in force, if any.
    var path: String? {
        caFile ?? ProcessInfo.processInfo.environment[TLSTrust.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The client TLS configuration to use for `https://` URLs.
    /// - Throws: a ``CommandFailure`` if the CA file cannot be read.
    func configuration() throws -> TLSConfiguration {
        do { return try TLSTrust.clientConfiguration(caFile: path) } catch { throw CommandFailure(error.description) }
    }
}
