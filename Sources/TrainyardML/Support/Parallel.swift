import Foundation

/// Splits `0..<count` into contiguous blocks and runs them on up to `threads` threads.
///
/// Each call of `body` gets one block and the index of the worker running it (0-based,
/// `< threads`), so callers can keep per-worker scratch buffers without locks. Blocks are
/// at least `minimumBlock` long; small inputs run on the calling thread.
public enum Parallel {
    /// The number of threads to use when the user asks for `0` (all online cores).
    public static func resolve(threads: Int) -> Int {
        threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    public static func forEachBlock(count: Int, threads: Int, minimumBlock: Int = 4096,
                                    _ body: (_ range: Range<Int>, _ worker: Int) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(threads, (count + minimumBlock - 1) / minimumBlock))
        if workers == 1 {
            body(0..<count, 0)
            return
        }
        let blockSize = (count + workers - 1) / workers
        // The pool returns only when every block has finished, so `body` never outlives this call.
        SpinPool.shared.run(iterations: workers) { worker in
            let start = worker * blockSize
            let end = min(count, start + blockSize)
            if start < end { body(start..<end, worker) }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over up to `threads` threads.
    public static func forEach(count: Int, threads: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        if threads <= 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        SpinPool.shared.run(iterations: count, body)
    }
}
