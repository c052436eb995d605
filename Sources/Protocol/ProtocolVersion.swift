/// Constants that identify Trainyard wire protocol v1 (see docs/PROTOCOL.md).
public enum ProtocolVersion {
    /// The version this build speaks. Peers announcing another version are refused with
    /// an ``ErrorCode/versionMismatch`` reply.
    public static let current: UInt16 = 1
    /// Every version this build accepts.
    public static let supported: [UInt16] = [1]
    /// The four bytes every header starts with: ASCII `TYRD`.
    public static let magic: [UInt8] = [0x54, 0x59, 0x52, 0x44]
}
