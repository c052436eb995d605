import Foundation
import NIOCore
import NIOSSL

/// A server's TLS certificate chain and private key (`--tls-cert`, `--tls-key`, both PEM), loaded once into a context
/// that every connection's handshake shares. TLS 1.2 or later; HTTP/1.1 only (ALPN `http/1.1`).
public struct TLSIdentity: Sendable {
    /// The PEM file of the certificate chain, the server's own certificate first.
    public let certificatePath: String
    /// The PEM file of the private key.
    public let keyPath: String
    private let context: NIOSSLContext

    /// Loads the chain and key.
    /// - Throws: ``TLSSetupError`` naming the file that could not be read or the reason the pair was refused.
    public init(certificatePath: String, keyPath: String) throws(TLSSetupError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw .unreadable(flag: "--tls-cert", path: certificatePath, reason: Self.reason(error, path: certificatePath))
        }
        guard !chain.isEmpty else {
            throw .unreadable(flag: "--tls-cert", path: certificatePath, reason: "no PEM certificate in the file")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw .unreadable(flag: "--tls-key", path: keyPath, reason: Self.reason(error, path: keyPath))
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .rejected(reason: "\(error)")
        }
    }

    /// Loads `--tls-cert` and `--tls-key` when either is given.
    /// - Returns: `nil` when neither is given (plain HTTP).
    /// - Throws: ``TLSSetupError`` when only one is given or the files cannot be used.
    public static func configured(certificatePath: String?, keyPath: String?) throws(TLSSetupError) -> TLSIdentity? {
        switch (certificatePath, keyPath) {
        case (nil, nil): return nil
        case (_, nil): throw .incomplete(missing: "--tls-key")
        case (nil, _): throw .incomplete(missing: "--tls-cert")
        case (let certificate?, let key?): return try TLSIdentity(certificatePath: certificate, keyPath: key)
        }
    }

    /// The handler that decrypts one accepted connection: first in its pipeline, closest to the socket.
    public func makeServerHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: context)
    }

    /// A readable reason for a PEM loading failure: a missing file says so rather than quoting BoringSSL's error stack.
    static func reason(_ error: any Error, path: String) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return "no such file" }
        if isDirectory.boolValue { return "is a directory" }
        if !FileManager.default.isReadableFile(atPath: path) { return "not readable (permissions)" }
        return "not a PEM file of the expected kind (\(error))"
    }
}
