import Foundation
import Synchronization

/// A fixed set of worker threads that spin briefly between parallel regions before
/// sleeping, as OpenMP runtimes do.
///
/// A tree level runs several short parallel regions back to back; with GCD each one waits
/// for a sleeping worker to be woken by the kernel, and with two iterations the calling
/// thread often does both before the worker arrives. Here a worker that has just finished
/// keeps polling for the next job for a short while.
///
/// Safety: every job carries its own claim counter, so a late worker can only claim
/// indices of the job it holds, and ``run(iterations:_:)`` returns only after every
/// iteration has finished — the body is never called after that. A call made while the
/// pool is busy (another thread training, or a nested region) runs on GCD instead.
final class SpinPool: @unchecked Sendable {
    final class Job: @unchecked Sendable {
        let body: (Int) -> Void
        let iterations: Int
        let next = Atomic<Int>(0)
        let remaining: Atomic<Int>

        init(body: @escaping (Int) -> Void, iterations: Int) {
            self.body = body
            self.iterations = iterations
            remaining = Atomic(iterations)
        }

        /// Claims and runs iterations until none are left.
        func work() {
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < iterations else { return }
                body(i)
                remaining.wrappingSubtract(1, ordering: .releasing)
            }
        }
    }

    static let shared = SpinPool(workers: max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// Polls before a worker goes to sleep (roughly 50–100 µs).
    static let spinLimit = 20_000

    private let generation = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// Workers holding a reference to a job (taken under the lock, dropped after `work()`).
    private let holders = Atomic<Int>(0)
    private let condition = NSCondition()
    private var current: Job?
    let workers: Int

    init(workers: Int) {
        self.workers = workers
        for index in 0..<workers {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.name = "trainyard-ml-\(index)"
            thread.start()
        }
    }

    /// Runs `body(0..<iterations)` on the pool and the calling thread; returns when all are done.
    func run(iterations: Int, _ body: (Int) -> Void) {
        guard workers > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let body = body
                DispatchQueue.concurrentPerform(iterations: iterations) { body($0) }
            }
            return
        }
        withoutActuallyEscaping(body) { body in
            let job = Job(body: body, iterations: iterations)
            condition.lock()
            current = job
            generation.wrappingAdd(1, ordering: .releasing)
            condition.broadcast()
            condition.unlock()
            job.work()
            while job.remaining.load(ordering: .acquiring) > 0 {}
            condition.lock()
            current = nil
            condition.unlock()
            // No worker can take the job any more; wait for those holding it to let go, so
            // the body (a non-escaping closure) is released before this call returns.
            while holders.load(ordering: .acquiring) > 0 {}
        }
        busy.store(false, ordering: .releasing)
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < Self.spinLimit { spins += 1 }
            condition.lock()
            while generation.load(ordering: .acquiring) == seen { condition.wait() }
            seen = generation.load(ordering: .acquiring)
            var job = current
            if job != nil { holders.wrappingAdd(1, ordering: .relaxed) }
            condition.unlock()
            if let held = job {
                held.work()
                job = nil
                _ = consume held
                holders.wrappingSubtract(1, ordering: .releasing)
            }
        }
    }
}
