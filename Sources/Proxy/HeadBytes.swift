#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A head's bytes while it is parsed: the readable bytes of its buffer, indexed from 0. The framers parse inside
/// `withUnsafeReadableBytes`, so reading a byte is a load, with no reference counting and no bounds checks
/// beyond the ones made explicitly.
typealias HeadBytes = UnsafeRawBufferPointer

extension UnsafeRawBufferPointer {
    /// The index of the first `byte` in `range` (with `memchr`, which compares many bytes at a time).
    func firstIndex(of byte: UInt8, in range: Range<Int>) -> Int? {
        guard !range.isEmpty, let base = baseAddress,
              let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}
