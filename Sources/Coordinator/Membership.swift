import TrainyardProtocol

/// The coordinator's membership table as a pure state machine.
///
/// It is fed decoded messages and clock ticks, and answers with ``Output``: directives to
/// send and events to log. It does no I/O and reads no clock it was not given, so it is
/// deterministic and tested without sockets; ``CoordinatorService`` executes its output.
public struct Membership: Sendable {
    /// What the shell should send.
    public enum Directive: Sendable, Equatable {
        case sendWelcome(to: PeerID, Welcome, correlationID: UInt64)
        case sendHeartbeat(to: PeerID)
        case sendError(to: PeerID, ErrorReply, correlationID: UInt64)
    }

    /// What happened: logged by the shell and passed to the jobs' ``ClusterLink`` (a death,
    /// departure or re-registration loses that worker's shards).
    public enum Event: Sendable, Equatable {
        case joined(workerID: String)
        /// A known worker registered again (its coordinator restarted, or it reconnected).
        case rejoined(workerID: String)
        case died(workerID: String, silentFor: Duration)
        case left(workerID: String, reason: String)
        case forgotten(workerID: String)
        case refused(peer: PeerID, reason: String)
    }

    /// Directives and events produced by one input.
    public struct Output: Sendable, Equatable {
        public var directives: [Directive] = []
        public var events: [Event] = []
    }

    struct Record: Sendable {
        var info: Register
        var peer: PeerID
        var state: WorkerStatus.State
        var lastSeen: ContinuousClock.Instant
        var lastHeartbeatSent: ContinuousClock.Instant
        var stateChanged: ContinuousClock.Instant
        var registrations: Int
    }

    public let settings: MembershipSettings
    public let coordinatorID: String
    private let startedAt: ContinuousClock.Instant
    private(set) var workers: [String: Record] = [:]
    private var workerByPeer: [PeerID: String] = [:]

    /// An empty table; `now` starts the uptime clock.
    public init(settings: MembershipSettings, coordinatorID: String, now: ContinuousClock.Instant) {
        self.settings = settings
        self.coordinatorID = coordinatorID
        self.startedAt = now
    }

    /// Ids of the workers currently alive, sorted.
    public var aliveWorkerIDs: [String] {
        workers.filter { $0.value.state == .alive }.keys.sorted()
    }

    /// Workers in the table by state.
    public var countsByState: [WorkerStatus.State: Int] {
        var alive = 0, dead = 0, left = 0
        for record in workers.values {
            switch record.state {
            case .alive: alive += 1
            case .dead: dead += 1
            case .left: left += 1
            }
        }
        return [.alive: alive, .dead: dead, .left: left]
    }

    /// The connection of every live worker, by worker id.
    public var alivePeers: [String: PeerID] {
        workers.filter { $0.value.state == .alive }.mapValues(\.peer)
    }

    /// The live worker on connection `peer`, if any.
    public func workerID(for peer: PeerID) -> String? {
        guard let id = workerByPeer[peer], workers[id]?.state == .alive else { return nil }
        return id
    }

    private var welcome: Welcome {
        Welcome(coordinatorID: coordinatorID,
                heartbeatIntervalMs: Int(settings.heartbeatInterval / .milliseconds(1)),
                heartbeatLiveness: settings.heartbeatLiveness)
    }

    /// A worker asks to join. Valid registrations are welcomed. A worker id is bound to the
    /// connection (routing id) that registered it: the same connection registering again
    /// (a reconnect with the same routing id, or a worker outliving a coordinator restart)
    /// replaces the entry, while another connection claiming an id that is still alive is
    /// refused with ``ErrorCode/workerIDInUse`` until the holder is declared dead or leaves.
    /// Fields outside ``WireLimits`` are refused with ``ErrorCode/limitExceeded``, and so is
    /// a new id once the table holds ``MembershipSettings/maxWorkers`` entries none of which
    /// is dead or departed.
    public mutating func register(_ request: Register, from peer: PeerID, correlationID: UInt64,
                                  now: ContinuousClock.Instant) -> Output {
        func refuse(_ error: ErrorReply, log reason: String) -> Output {
            Output(directives: [.sendError(to: peer, error, correlationID: correlationID)],
                   events: [.refused(peer: peer, reason: reason)])
        }
        guard Register.isValidWorkerID(request.workerID) else {
            let reason = "worker id of \(request.workerID.utf8.count) bytes must be 1–255 printable ASCII characters without spaces"
            return refuse(ErrorReply(code: .registrationRefused, message: reason), log: reason)
        }
        guard request.cores >= 1 else {
            let reason = "worker '\(request.workerID)' offers \(request.cores) cores; at least 1 is required"
            return refuse(ErrorReply(code: .registrationRefused, message: reason), log: reason)
        }
        do {
            try request.checkLimits()
        } catch {
            return refuse(ErrorReply(error), log: "worker '\(request.workerID)': \(error)")
        }
        let id = request.workerID
        if let holder = workers[id], holder.state == .alive, holder.peer != peer {
            let reason = "worker id '\(id)' is held by a live worker on another connection; "
                + "it can be claimed once that worker leaves or is declared dead "
                + "(after \(settings.deadAfter) without a message)"
            return refuse(ErrorReply(code: .workerIDInUse, message: reason), log: reason)
        }
        if let bound = workerByPeer[peer], bound != id, workers[bound]?.state == .alive {
            let reason = "this connection is already registered as worker '\(bound)'; one connection serves one worker id"
            return refuse(ErrorReply(code: .registrationRefused, message: reason), log: reason)
        }
        var output = Output()
        if workers[id] == nil, workers.count >= settings.maxWorkers, !forgetOldestDeparted(into: &output) {
            let violation = LimitViolation(field: "workers", limit: "≤ \(settings.maxWorkers) registered workers",
                                           actual: "\(workers.count) registered")
            return refuse(ErrorReply(violation), log: violation.description)
        }
        if let previous = workers[id] {
            if previous.peer != peer, workerByPeer[previous.peer] == id {
                workerByPeer[previous.peer] = nil
            }
            output.events.append(.rejoined(workerID: id))
        } else {
            output.events.append(.joined(workerID: id))
        }
        let registrations = (workers[id]?.registrations ?? 0) + 1
        workers[id] = Record(info: request, peer: peer, state: .alive, lastSeen: now,
                             lastHeartbeatSent: now, stateChanged: now, registrations: registrations)
        workerByPeer[peer] = id
        output.directives.append(.sendWelcome(to: peer, welcome, correlationID: correlationID))
        return output
    }

    /// Makes room in a full table by forgetting the dead or departed worker that changed
    /// state longest ago. Returns false when every listed worker is alive.
    private mutating func forgetOldestDeparted(into output: inout Output) -> Bool {
        let departed = workers.filter { $0.value.state != .alive }
        guard let oldest = departed.min(by: { ($0.value.stateChanged, $0.key) < ($1.value.stateChanged, $1.key) })?.key else {
            return false
        }
        workers[oldest] = nil
        output.events.append(.forgotten(workerID: oldest))
        return true
    }

    /// A heartbeat arrived. Peers that are not registered and alive are told to register
    /// again, in a reply that copies the heartbeat's `correlationID` (as every reply does).
    public mutating func heartbeat(from peer: PeerID, correlationID: UInt64 = 0, now: ContinuousClock.Instant) -> Output {
        if markSeen(peer, now: now) { return Output() }
        let reason = "this worker is not registered with coordinator \(coordinatorID); send register again"
        return Output(directives: [.sendError(to: peer, ErrorReply(code: .unknownWorker, message: reason),
                                              correlationID: correlationID)])
    }

    /// Records traffic from `peer`. Returns whether the peer is a live, registered worker.
    @discardableResult
    public mutating func markSeen(_ peer: PeerID, now: ContinuousClock.Instant) -> Bool {
        guard let id = workerByPeer[peer], workers[id]?.state == .alive else { return false }
        workers[id]!.lastSeen = now
        return true
    }

    /// A worker leaves on purpose. Unknown peers are ignored: there is nothing to undo.
    /// A reason over ``WireLimits/reasonBytes`` is refused with ``ErrorCode/limitExceeded``
    /// and the worker stays registered; the refusal copies the request's `correlationID`.
    public mutating func deregister(_ request: Deregister, from peer: PeerID, correlationID: UInt64 = 0,
                                    now: ContinuousClock.Instant) -> Output {
        guard let id = workerByPeer[peer], workers[id]?.state == .alive else { return Output() }
        do {
            try request.checkLimits()
        } catch {
            return Output(directives: [.sendError(to: peer, ErrorReply(error), correlationID: correlationID)],
                          events: [.refused(peer: peer, reason: "worker '\(id)': \(error)")])
        }
        workers[id]!.state = .left
        workers[id]!.stateChanged = now
        workers[id]!.lastSeen = now
        workerByPeer[peer] = nil
        return Output(events: [.left(workerID: id, reason: request.reason)])
    }

    /// Advances time: declares silent workers dead, sends due heartbeats, forgets old records.
    public mutating func tick(now: ContinuousClock.Instant) -> Output {
        var output = Output()
        for id in workers.keys.sorted() {
            var record = workers[id]!
            switch record.state {
            case .alive:
                let silence = now - record.lastSeen
                if silence > settings.deadAfter {
                    record.state = .dead
                    record.stateChanged = now
                    if workerByPeer[record.peer] == id { workerByPeer[record.peer] = nil }
                    output.events.append(.died(workerID: id, silentFor: silence))
                } else if now - record.lastHeartbeatSent >= settings.heartbeatInterval {
                    record.lastHeartbeatSent = now
                    output.directives.append(.sendHeartbeat(to: record.peer))
                }
                workers[id] = record
            case .dead, .left:
                if now - record.stateChanged > settings.retention {
                    workers[id] = nil
                    output.events.append(.forgotten(workerID: id))
                }
            }
        }
        return output
    }

    /// The table as the status reply reports it, sorted by worker id.
    public func status(now: ContinuousClock.Instant) -> ClusterStatus {
        let rows = workers.keys.sorted().map { id -> WorkerStatus in
            let record = workers[id]!
            return WorkerStatus(workerID: id, host: record.info.host, cores: record.info.cores,
                                memoryBytes: record.info.memoryBytes, pid: record.info.pid, state: record.state,
                                lastSeenSecondsAgo: (now - record.lastSeen).seconds,
                                registrations: record.registrations)
        }
        return ClusterStatus(coordinatorID: coordinatorID, uptimeSeconds: (now - startedAt).seconds, workers: rows)
    }
}
