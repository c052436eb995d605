import NIOCore

/// Request timeouts for one event loop without a scheduled task per request.
///
/// Every attempt on a loop has the same timeout, so attempts started in order expire in order: they are kept in
/// a doubly linked list, oldest first, which makes adding and removing O(1) with no allocation. One repeated
/// task per loop sweeps expired attempts off the front every `resolution`, so a timeout fires up to one
/// resolution late. (A NIO `scheduleTask` per request costs closures, a promise, two lock round trips and a
/// linear search on cancel.) Used only on its loop.
final class AttemptTimer {
    let timeout: TimeAmount
    let resolution: TimeAmount
    private var oldest: Exchange?
    private var newest: Exchange?
    private var sweeper: RepeatedTask?

    init(timeout: TimeAmount) {
        self.timeout = timeout
        // A twentieth of the timeout, between 5 ms and 100 ms.
        resolution = .nanoseconds(min(max(timeout.nanoseconds / 20, 5_000_000), 100_000_000))
    }

    /// Starts sweeping on `eventLoop` (call on that loop).
    func start(on eventLoop: any EventLoop) {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        sweeper = eventLoop.scheduleRepeatedTask(initialDelay: resolution, delay: resolution) { _ in
            bound.value.sweep(now: .now())
        }
    }

    func stop() {
        sweeper?.cancel()
        sweeper = nil
    }

    /// Starts the clock for `exchange`'s current attempt.
    func watch(_ exchange: Exchange) {
        exchange.deadline = .now() + timeout
        exchange.newer = nil
        exchange.older = newest
        if let newest { newest.newer = exchange } else { oldest = exchange }
        newest = exchange
        exchange.isWatched = true
    }

    /// Stops the clock (the attempt ended).
    func unwatch(_ exchange: Exchange) {
        guard exchange.isWatched else { return }
        exchange.isWatched = false
        if let older = exchange.older { older.newer = exchange.newer } else { oldest = exchange.newer }
        if let newer = exchange.newer { newer.older = exchange.older } else { newest = exchange.older }
        exchange.older = nil
        exchange.newer = nil
    }

    /// Tells every attempt whose deadline has passed.
    func sweep(now: NIODeadline) {
        while let expired = oldest, expired.deadline <= now {
            unwatch(expired)
            expired.attemptTimedOut()
        }
    }
}
