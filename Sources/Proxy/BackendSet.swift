import Synchronization

/// The backends requests are spread over and the shared round-robin cursor. Thread-safe.
///
/// The list changes when discovery resolves a different set of addresses. It is kept as an immutable
/// ``Snapshot`` replaced whole under a lock, and the hot path does not take the lock: each event loop keeps the
/// snapshot it last read (``LoopContext/backends``) and reads the set again only when ``generation`` has moved.
/// A pick therefore costs one atomic load and the cursor's atomic add, as with a fixed list.
final class BackendSet: Sendable {
    /// One version of the list, never changed once made.
    final class Snapshot: Sendable {
        /// Increases by one with every change of the list.
        let generation: Int
        /// In round-robin order: backends keep their place while they stay, newcomers are appended.
        let backends: [Backend]

        init(generation: Int, backends: [Backend]) {
            self.generation = generation
            self.backends = backends
        }
    }

    private struct State {
        var snapshot = Snapshot(generation: 0, backends: [])
        /// Slots of removed backends, handed to the next newcomers so that per-loop pool arrays stay as small
        /// as the largest set.
        var freeSlots: [Int] = []
        var slotCount = 0
    }

    private let state = Mutex(State())
    private let latest = Atomic<Int>(0)
    private let cursor = Atomic<Int>(0)

    /// An empty set; fill it with ``update(to:make:)``.
    init() {}

    /// The generation of the current snapshot: one atomic load, for loops to tell whether theirs is stale.
    var generation: Int { latest.load(ordering: .acquiring) }

    /// The current list (takes the lock).
    var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// The current backends (takes the lock).
    var backends: [Backend] { snapshot.backends }

    /// Makes the set hold exactly one backend per distinct URL in `addresses`
    /// (``BackendAddress/description``; the first of duplicates wins). Backends already in the set stay in
    /// place with their health and counters; the others are made by `make` with a free slot and appended; the
    /// rest leave. Nothing changes, not even the generation, when the URLs are those already held, so calling it
    /// again with the same list is free.
    ///
    /// The caller must ``Backend/retire()`` the removed backends and close their pools. `make` runs under the
    /// set's lock, so it must not block.
    @discardableResult
    func update(to addresses: [BackendAddress], make: (BackendAddress, _ slot: Int) -> Backend) -> BackendChanges {
        state.withLock { state in
            let current = state.snapshot.backends
            var held: Set<String> = []
            for backend in current { held.insert(backend.address.description) }
            var wanted: Set<String> = []
            var newcomers: [BackendAddress] = []
            for address in addresses {
                let url = address.description
                guard wanted.insert(url).inserted else { continue }
                if !held.contains(url) { newcomers.append(address) }
            }
            let removed = current.filter { !wanted.contains($0.address.description) }
            guard !newcomers.isEmpty || !removed.isEmpty else { return BackendChanges(added: [], removed: []) }
            state.freeSlots.append(contentsOf: removed.map(\.slot))
            state.freeSlots.sort(by: >)
            let added = newcomers.map { address in
                let slot: Int
                if let free = state.freeSlots.popLast() {
                    slot = free
                } else {
                    slot = state.slotCount
                    state.slotCount += 1
                }
                return make(address, slot)
            }
            let kept = current.filter { wanted.contains($0.address.description) }
            let generation = state.snapshot.generation + 1
            state.snapshot = Snapshot(generation: generation, backends: kept + added)
            latest.store(generation, ordering: .releasing)
            return BackendChanges(added: added, removed: removed)
        }
    }

    /// The next healthy backend of `backends` (a snapshot's list) in round-robin order, skipping `excluded`
    /// (the one that just failed). Nil when none is healthy. One relaxed atomic add; unhealthy backends are
    /// stepped over, so their share goes to the next healthy one.
    @inline(__always)
    func pick(from backends: [Backend], excluding excluded: Backend? = nil) -> Backend? {
        let count = UInt(backends.count)
        guard count > 0 else { return nil }
        let start = UInt(bitPattern: cursor.wrappingAdd(1, ordering: .relaxed).oldValue)
        for step in 0..<count {
            let backend = backends[Int((start &+ step) % count)]
            if backend.isHealthy && backend !== excluded { return backend }
        }
        return nil
    }

    /// ``pick(from:excluding:)`` over the current list (takes the lock; the loops use their cached snapshot).
    func pick(excluding excluded: Backend? = nil) -> Backend? {
        pick(from: backends, excluding: excluded)
    }
}
