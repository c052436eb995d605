import ZeroMQ

/// One bulk-data frame: `count` little-endian elements of `dtype`, shipped as raw bytes.
///
/// The frame is shared, not copied, on both encode and decode: bulk numbers never pass
/// through JSON or any intermediate buffer.
public struct Payload: Sendable, CustomStringConvertible {
    public let dtype: DType
    public let frame: ZMQFrame

    /// The number of elements.
    public var count: Int { frame.count / dtype.size }

    /// Wraps an existing frame. The frame's size must be a multiple of `dtype.size`.
    public init(dtype: DType, frame: ZMQFrame) {
        precondition(frame.count % dtype.size == 0, "frame of \(frame.count) bytes is not a whole number of \(dtype)")
        self.dtype = dtype
        self.frame = frame
    }

    /// Shares a `[Float]` with libzmq without copying.
    public static func float32(_ values: [Float]) -> Payload { Payload(dtype: .f32, frame: ZMQFrame(adopting: values)) }
    /// Shares a `[Double]` with libzmq without copying.
    public static func float64(_ values: [Double]) -> Payload { Payload(dtype: .f64, frame: ZMQFrame(adopting: values)) }
    /// Shares a `[UInt8]` with libzmq without copying.
    public static func uint8(_ values: [UInt8]) -> Payload { Payload(dtype: .u8, frame: ZMQFrame(adopting: values)) }

    /// Copies the elements out as `[Element]`; `Element` must match ``dtype``'s size.
    public func values<Element: BitwiseCopyable>(as _: Element.Type) -> [Element] {
        precondition(MemoryLayout<Element>.stride == dtype.size, "\(Element.self) does not match \(dtype)")
        return frame.withUnsafeBytes { bytes in
            [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
                initialized = count
            }
        }
    }

    var descriptor: PayloadDescriptor { PayloadDescriptor(dtype: dtype, count: count) }

    public var description: String { "Payload(\(dtype) × \(count))" }
}

/// How the metadata describes each payload frame: `{"dtype": "f32", "count": 2097152}`.
struct PayloadDescriptor: Codable, Equatable {
    var dtype: DType
    var count: Int
}
