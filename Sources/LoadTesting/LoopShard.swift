import NIOCore

/// One event loop's part of a run: its connections, its tally, its share of the open-loop rate,
/// and the timers that end the run and enforce the request timeout.
///
/// Created on its loop and only touched there, so it needs no locks. The run's result is the
/// future returned by ``start()``, completed with the tally when the shard stops: at the deadline,
/// when every request of its budget or schedule is answered, or when all its connections gave up.
final class LoopShard {
    let loop: any EventLoop
    let target: RequestTarget
    let timeout: TimeAmount
    let countHeader: String?
    /// What the connections have observed; read by the report after the shard stopped.
    var tally = LoadTally()
    private(set) var stopped = false

    private let startTime: NIODeadline
    private let end: NIODeadline
    /// How often requests in flight are checked against the timeout: it bounds how late a timeout
    /// is noticed, not how often requests go out.
    private let watchdogPeriod: TimeAmount
    private let schedule: RateSchedule?
    private var connections: [LoadConnection] = []
    /// Open loop: connected connections with nothing in flight, waiting for the next due request.
    private var idle: [LoadConnection] = []
    /// Open loop: requests handed to a connection so far (their indexes are `0..<dispatched`).
    private var dispatched = 0
    /// Open loop: requests due so far; `due - dispatched` are waiting for a free connection.
    private var due = 0
    private var inFlight = 0
    /// Connections neither finished (closed loop, budget spent) nor given up.
    private var live = 0
    /// Connections that wrote a request in this event-loop iteration; flushed together after it.
    private var unflushed: [LoadConnection] = []
    private let promise: EventLoopPromise<LoadTally>
    private var timers: [ShardTimer.Kind: NIOScheduledCallback] = [:]

    /// - Parameters:
    ///   - budgets: one entry per connection, its request limit in closed loop (`nil`: none).
    ///   - schedule: this shard's share of the open-loop rate; `nil` for closed loop.
    init(loop: any EventLoop, target: RequestTarget, plan: LoadTestPlan, start: NIODeadline,
         budgets: [Int?], schedule: RateSchedule?) {
        self.loop = loop
        self.target = target
        self.timeout = TimeAmount(plan.timeout)
        self.countHeader = plan.countHeader
        self.startTime = start
        self.end = start + TimeAmount(plan.duration)
        self.watchdogPeriod = .nanoseconds(min(max(timeout.nanoseconds / 4, 5_000_000), 250_000_000))
        self.schedule = schedule
        self.promise = loop.makePromise()
        self.connections = budgets.map { LoadConnection(shard: self, budget: $0) }
    }

    /// Opens the connections and arms the timers; the future completes when the shard stops.
    func start() -> EventLoopFuture<LoadTally> {
        arm(.end, at: end)
        arm(.watchdog, at: .now() + watchdogPeriod)
        if let schedule, schedule.limit > 0 { arm(.tick, at: schedule.dueTime(0)) }
        for connection in connections where connection.hasWork && schedule?.limit != 0 {
            live += 1
            connection.connect()
        }
        if live == 0 { stop() }
        return promise.futureResult
    }

    // MARK: - Events from connections

    /// A connection is connected and has nothing in flight: give it its next request, or park it.
    func connectionReady(_ connection: LoadConnection, now: NIODeadline) {
        guard !stopped else { return }
        if let schedule {
            due = max(due, schedule.dueCount(at: now))
            if dispatched < due {
                connection.send(due: schedule.dueTime(dispatched))
                dispatched += 1
            } else {
                idle.append(connection)
                finishIfScheduleDone()
            }
        } else if connection.hasWork {
            connection.send(due: nil)
        } else {
            connection.finish()
            connectionGone()
        }
    }

    func requestSent() {
        tally.sent += 1
        inFlight += 1
    }

    func requestEnded() {
        inFlight -= 1
    }

    /// Flushes `connection` once the event loop has handled every ready socket, like wrk does.
    /// Writing right after each response would wake the server once per request and get this
    /// thread preempted as often; one flush pass per loop iteration sends the requests in a burst.
    func flushLater(_ connection: LoadConnection) {
        unflushed.append(connection)
        guard unflushed.count == 1 else { return }
        loop.assumeIsolated().execute { self.flushAll() }
    }

    private func flushAll() {
        let now = NIODeadline.now()
        var index = 0
        // Indexed, so a connection added while flushing is flushed in this pass too.
        while index < unflushed.count {
            unflushed[index].flush(at: now)
            index += 1
        }
        unflushed.removeAll(keepingCapacity: true)
    }

    /// A connection's channel closed; it reconnects if there is work left.
    func connectionLost(_ connection: LoadConnection) {
        if let index = idle.firstIndex(where: { $0 === connection }) { idle.remove(at: index) }
        guard !stopped else { return }
        if schedule != nil ? dispatched < schedule!.limit : connection.hasWork {
            connection.connect()
        } else if schedule == nil {
            connection.finish()
            connectionGone()
        } else {
            finishIfScheduleDone()
        }
    }

    /// A connection that never connected gave up.
    func connectionRetired(_ connection: LoadConnection) {
        connectionGone()
    }

    private func connectionGone() {
        live -= 1
        if live == 0 { stop() }
    }

    private func finishIfScheduleDone() {
        if let schedule, dispatched >= schedule.limit, inFlight == 0 { stop() }
    }

    // MARK: - Timers

    private func arm(_ kind: ShardTimer.Kind, at deadline: NIODeadline) {
        timers[kind] = try? loop.assumeIsolated().scheduleCallback(at: deadline, handler: ShardTimer(shard: self, kind: kind))
    }

    fileprivate func fire(_ kind: ShardTimer.Kind) {
        guard !stopped else { return }
        switch kind {
        case .end:
            stop()
        case .watchdog:
            let now = NIODeadline.now()
            for connection in connections where connection.inFlight && now - connection.sentAt > timeout {
                connection.timedOut()
            }
            arm(.watchdog, at: now + watchdogPeriod)
        case .tick:
            guard let schedule else { return }
            let now = NIODeadline.now()
            due = max(due, schedule.dueCount(at: now))
            while dispatched < due, let connection = idle.popLast() {
                connection.send(due: schedule.dueTime(dispatched))
                dispatched += 1
            }
            // Sleep until the next due time, however late this wake-up was: the schedule does not drift.
            if due < schedule.limit { arm(.tick, at: schedule.dueTime(due)) }
        }
    }

    /// Ends the shard: cancels its timers, closes its connections (requests in flight are counted
    /// as unfinished) and completes the future with the tally.
    func stop() {
        guard !stopped else { return }
        stopped = true
        for timer in timers.values { timer.cancel() }
        timers = [:]
        tally.unfinished = inFlight
        tally.elapsedNanoseconds = (NIODeadline.now() - startTime).nanoseconds
        for connection in connections { connection.close() }
        // Breaks the shard ↔ connection cycle; callbacks still pending hold what they need.
        connections = []
        idle = []
        unflushed = []
        promise.succeed(tally)
    }
}

/// Wakes a shard at a deadline without allocating a closure per wake-up.
private struct ShardTimer: NIOScheduledCallbackHandler {
    enum Kind: Hashable {
        case end, watchdog, tick
    }

    let shard: LoopShard
    let kind: Kind

    func handleScheduledCallback(eventLoop: some EventLoop) {
        shard.fire(kind)
    }
}
