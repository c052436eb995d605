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

    /// Calls `body` with the elements where they lie in the frame when it is aligned for
    /// `Element` (libzmq's buffers are), else with an aligned copy.
    public func withValues<Element: BitwiseCopyable, R>(as _: Element.Type,
                                                        _ body: (UnsafeBufferPointer<Element>) -> R) -> R {
        precondition(MemoryLayout<Element>.stride == dtype.size, "\(Element.self) does not match \(dtype)")
        return frame.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
            if Int(bitPattern: base) % MemoryLayout<Element>.alignment == 0 {
                return body(UnsafeBufferPointer(start: base.bindMemory(to: Element.self, capacity: count), count: count))
            }
            return values(as: Element.self).withUnsafeBufferPointer(body)
        }
    }

    /// Concatenates equally typed arrays into one frame, written in place (one copy).
    public static func concatenating<Element: BitwiseCopyable>(_ arrays: [[Element]], dtype: DType) -> Payload {
        precondition(MemoryLayout<Element>.stride == dtype.size, "\(Element.self) does not match \(dtype)")
        let total = arrays.reduce(0) { $0 + $1.count } * MemoryLayout<Element>.stride
        return Payload(dtype: dtype, frame: ZMQFrame(count: total) { buffer in
            var offset = 0
            for array in arrays {
                array.withUnsafeBytes { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).copyMemory(from: bytes)
                    offset += bytes.count
                }
            }
        })
    }

    var descriptor: PayloadDescriptor { PayloadDescriptor(dtype: dtype, count: count) }

    public var description: String { "Payload(\(dtype) × \(count))" }
}

/// How the metadata describes each payload frame: `{"dtype": "f32", "count": 2097152}`.
struct PayloadDescriptor: Codable, Equatable {
    var dtype: DType
    var count: Int
}
