import ArgumentParser
import HTTPSupport

/// `--tls-cert` and `--tls-key`, shared by the servers (registry, replica, proxy): serve HTTPS with this certificate.
struct TLSServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (server certificate first); needs --tls-key.", valueName: "file"))
    var tlsCert: String?
    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    /// The server's TLS identity, or `nil` for plain HTTP.
    /// - Throws: a ``CommandFailure`` naming the file or flag at fault.
    func identity() throws -> TLSIdentity? {
        do { return try TLSIdentity.configured(certificatePath: tlsCert, keyPath: tlsKey) } catch { throw CommandFailure(error.description) }
    }

    /// `https` when a certificate is configured, else `http`: for the "listening on" line.
    var scheme: String { tlsCert == nil ? "http" : "https" }
}
