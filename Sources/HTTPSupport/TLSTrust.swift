import NIOSSL

/// What a client trusts when it talks to an `https://` server: the system's CA store, or the certificates of one PEM
/// file (`--ca-file`, or `TRAINYARD_CA_FILE`) — e.g. a private CA that signed the registry's, replicas' and proxy's
/// certificates. Hostnames are always verified (a certificate must name the host or IP address connected to).
public enum TLSTrust {
    /// The environment variable clients read when `--ca-file` is not given.
    public static let environmentVariable = "TRAINYARD_CA_FILE"

    /// A client TLS configuration trusting `caFile`'s certificates, or the system's when `caFile` is `nil`.
    /// - Throws: ``TLSSetupError/unreadable(flag:path:reason:)`` if the file holds no readable certificate.
    public static func clientConfiguration(caFile: String?) throws(TLSSetupError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        guard let caFile else { return configuration }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw .unreadable(flag: "--ca-file", path: caFile, reason: TLSIdentity.reason(error, path: caFile))
        }
        guard !certificates.isEmpty else { throw .unreadable(flag: "--ca-file", path: caFile, reason: "no PEM certificate in the file") }
        configuration.trustRoots = .certificates(certificates)
        return configuration
    }
}
