import NIOCore

/// The one timer a connection handler keeps for its ``ConnectionClock``: it fires no later than the clock's current
/// deadline. A timer already set for an earlier deadline is left alone (when it fires, the handler re-arms for the
/// deadline then current), one set for a later deadline is replaced — so most events cost no timer operation.
/// Used on its channel's event loop only.
public struct DeadlineTimer {
    private var scheduled: Scheduled<Void>?
    private var deadline: NIODeadline?

    public init() {}

    /// Makes sure `fire` runs on `loop` no later than `deadline` (nothing to do for `nil`: no deadline runs).
    public mutating func arm(_ deadline: NIODeadline?, on loop: any EventLoop, _ fire: @escaping () -> Void) {
        guard let deadline else { return }
        if let current = self.deadline, scheduled != nil, current <= deadline { return }
        scheduled?.cancel()
        self.deadline = deadline
        scheduled = loop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { fire() }
    }

    /// The timer has fired: the next ``arm(_:on:_:)`` schedules anew.
    public mutating func fired() {
        scheduled = nil
        deadline = nil
    }

    /// Cancels the timer (the connection is going away).
    public mutating func cancel() {
        scheduled?.cancel()
        fired()
    }
}
