/// Why a server's TLS identity or a client's trusted CA could not be loaded; each message names the file and the flag.
public enum TLSSetupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `--tls-cert` was given without `--tls-key`, or the other way round.
    case incomplete(missing: String)
    /// A PEM file could not be read or holds no usable certificate or key.
    case unreadable(flag: String, path: String, reason: String)
    /// The certificate and key were read but do not make a TLS context (e.g. the key does not match the certificate).
    case rejected(reason: String)

    public var description: String {
        switch self {
        case .incomplete(let missing):
            "TLS needs both --tls-cert and --tls-key: \(missing) is missing"
        case .unreadable(let flag, let path, let reason):
            "\(flag) \(path): \(reason)"
        case .rejected(let reason):
            "the TLS certificate and key cannot be used together: \(reason)"
        }
    }
}
