/// Which workers the running trials of a study hold: each trial leases its own workers, so
/// parallel trials train side by side rather than on top of each other. A value: the study's
/// shell asks and releases; no I/O, no clock.
struct WorkerLeases: Sendable, Equatable {
    /// Worker → the trial holding it.
    private(set) var holder: [String: Int] = [:]

    /// Leases `count` of the `alive` workers not held by another trial to `trial` (the first
    /// free ones in `alive`'s order) and returns them, or `nil` when too few are free.
    mutating func lease(_ count: Int, to trial: Int, alive: [String]) -> [String]? {
        let free = alive.filter { holder[$0] == nil }
        guard free.count >= count else { return nil }
        let chosen = Array(free.prefix(count))
        for worker in chosen { holder[worker] = trial }
        return chosen
    }

    /// Frees every worker `trial` holds.
    mutating func release(_ trial: Int) {
        holder = holder.filter { $0.value != trial }
    }

    /// Workers `trial` holds, sorted.
    func workers(of trial: Int) -> [String] { holder.filter { $0.value == trial }.map(\.key).sorted() }
}
