import Synchronization

/// The backends and the shared round-robin cursor. Thread-safe.
final class BackendSet: Sendable {
    let backends: [Backend]
    private let cursor = Atomic<Int>(0)

    init(_ backends: [Backend]) {
        self.backends = backends
    }

    /// The next healthy backend in round-robin order, skipping `excluded` (the one that just failed).
    /// Nil when none is healthy. One relaxed atomic add; unhealthy backends are stepped over, so their
    /// share goes to the next healthy one.
    @inline(__always)
    func pick(excluding excluded: Backend? = nil) -> Backend? {
        let count = UInt(backends.count)
        let start = UInt(bitPattern: cursor.wrappingAdd(1, ordering: .relaxed).oldValue)
        for step in 0..<count {
            let backend = backends[Int((start &+ step) % count)]
            if backend.isHealthy && backend !== excluded { return backend }
        }
        return nil
    }

    /// Whether any backend is in the rotation.
    var anyHealthy: Bool { backends.contains { $0.isHealthy } }
}
