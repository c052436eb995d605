/// The element type of a payload frame: raw little-endian values, no padding, no header.
public enum DType: String, Sendable, Codable, CaseIterable {
    case u8, u16, u32, u64, i32, i64, f32, f64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .u8: 1
        case .u16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64: 8
        }
    }
}
