/// Request ids for requests that arrive without `X-Request-Id`: 16 lowercase hex digits from a
/// per-event-loop xorshift generator seeded from the system RNG, so making one takes no lock and no syscall.
/// Unique enough to correlate logs, not a secret.
struct RequestIDGenerator {
    private var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next() | 1
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func next() -> String {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let value = state &* 0x2545_F491_4F6C_DD1D
        return String(unsafeUninitializedCapacity: 16) { bytes in
            Self.digits.withUnsafeBufferPointer { digits in
                for i in 0..<16 {
                    bytes[i] = digits[Int(truncatingIfNeeded: value >> UInt64(60 - 4 * i)) & 0xF]
                }
            }
            return 16
        }
    }
}
