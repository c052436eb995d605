/// Either direction: the message with this correlation id was refused.
public struct ErrorReply: Sendable, Codable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    /// A sentence an operator can act on.
    public var message: String
    /// Present with ``ErrorCode/versionMismatch``: the versions the sender of the error accepts.
    public var supportedVersions: [UInt16]?
    /// Present with ``ErrorCode/limitExceeded``: the metadata field or parameter that was out
    /// of range, by its wire name (e.g. `host`, `spec.gbdt.trees`).
    public var field: String?
    /// Present with ``ErrorCode/limitExceeded``: the limit, as text (e.g. `"≤ 255 bytes"`, `"1...100000"`).
    public var limit: String?

    public init(code: ErrorCode, message: String, supportedVersions: [UInt16]? = nil,
                field: String? = nil, limit: String? = nil) {
        self.code = code
        self.message = message
        self.supportedVersions = supportedVersions
        self.field = field
        self.limit = limit
    }

    /// The reply to a message that failed to decode.
    public init(_ error: ProtocolError) {
        self.init(code: error.errorCode, message: error.description,
                  supportedVersions: error.errorCode == .versionMismatch ? ProtocolVersion.supported : nil)
    }

    /// The reply to a field outside its limit: code ``ErrorCode/limitExceeded``, naming the field and the limit.
    public init(_ violation: LimitViolation) {
        self.init(code: .limitExceeded, message: violation.description, field: violation.field, limit: violation.limit)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
