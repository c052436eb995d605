/// Either direction: the message with this correlation id was refused.
public struct ErrorReply: Sendable, Codable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    /// A sentence an operator can act on.
    public var message: String
    /// Present with ``ErrorCode/versionMismatch``: the versions the sender of the error accepts.
    public var supportedVersions: [UInt16]?

    public init(code: ErrorCode, message: String, supportedVersions: [UInt16]? = nil) {
        self.code = code
        self.message = message
        self.supportedVersions = supportedVersions
    }

    /// The reply to a message that failed to decode.
    public init(_ error: ProtocolError) {
        self.init(code: error.errorCode, message: error.description,
                  supportedVersions: error.errorCode == .versionMismatch ? ProtocolVersion.supported : nil)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
