/// What a CURVE client socket needs: its own key pair and the server's public key.
public struct CurveClientKeys: Sendable, Equatable {
    /// This client's long-term secret key.
    public let secretKey: CurveKey
    /// Its public key (derived from the secret key); the server's allowlist names it.
    public let publicKey: CurveKey
    /// The server's public key: the handshake fails unless the server holds its secret key.
    public let serverKey: CurveKey

    /// Keys for a client; throws ``CurveKeyError/unsupported`` without CURVE in libzmq.
    public init(secretKey: CurveKey, serverKey: CurveKey) throws(CurveKeyError) {
        self.secretKey = secretKey
        self.publicKey = try secretKey.publicKey()
        self.serverKey = serverKey
    }

    /// Reads `secretKeyFile` (mode 0600) and `serverKeyFile` as ``CurveKeyFile`` writes them.
    public init(secretKeyFile: String, serverKeyFile: String) throws(CurveKeyError) {
        guard CurveKey.isAvailable else { throw .unsupported }
        try self.init(secretKey: try CurveKeyFile.read(secretKeyFile, secret: true), serverKey: try CurveKeyFile.read(serverKeyFile))
    }

    /// Makes `socket` a CURVE client; call before `connect`.
    public func apply(to socket: ZMQSocket) throws(ZMQError) {
        try socket.set(.curveServerKey(serverKey.bytes))
        try socket.set(.curvePublicKey(publicKey.bytes))
        try socket.set(.curveSecretKey(secretKey.bytes))
    }
}
