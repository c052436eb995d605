import HTTPSupport

/// Request ids for requests that arrive without `X-Request-Id`: ``RequestID/text(_:)`` of a per-event-loop
/// xorshift generator seeded from the system RNG, so making one takes no lock and no syscall. Unique enough to
/// correlate logs, not a secret.
struct RequestIDGenerator {
    private var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next() | 1
    }

    mutating func next() -> String {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return RequestID.text(state &* 0x2545_F491_4F6C_DD1D)
    }
}
