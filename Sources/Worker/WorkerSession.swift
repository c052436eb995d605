import TrainyardProtocol

/// The worker's side of membership as a pure state machine (the Paranoid Pirate pattern).
///
/// After connecting, the worker registers and then heartbeats every interval. Any message
/// from the coordinator proves it alive; after `liveness` silent intervals the worker drops
/// its socket, waits a back-off that doubles up to a maximum, reconnects and registers again.
/// A coordinator that restarted answers the first heartbeat with `unknown_worker`, and the
/// worker re-registers at once. The shell (``WorkerService``) executes the directives.
public struct WorkerSession: Sendable {
    /// What the shell should do.
    public enum Directive: Sendable, Equatable {
        /// Open a new socket to the coordinator (closing any previous one, discarding its queue).
        case connect
        /// Close the socket without reconnecting yet.
        case disconnect
        case sendRegister
        case sendHeartbeat
        case sendDeregister(reason: String)
        /// Stop the worker: the coordinator refused it for a reason retrying cannot fix.
        case fail(reason: String)
    }

    /// What happened, for logs.
    public enum Event: Sendable, Equatable {
        case registered(coordinatorID: String, restarted: Bool)
        case coordinatorSilent(reconnectIn: Duration)
        case reregisterRequested
        case coordinatorError(ErrorReply)
    }

    public struct Output: Sendable, Equatable {
        public var directives: [Directive] = []
        public var events: [Event] = []
    }

    public enum State: Sendable, Equatable {
        case idle
        case registering
        case registered(coordinatorID: String)
        case waitingToReconnect(until: ContinuousClock.Instant)
        case failed(reason: String)
        case stopped
    }

    public private(set) var state: State = .idle
    private var interval: Duration
    private var liveness: Int
    private let reconnectInitial: Duration
    private let reconnectMax: Duration
    private var backoff: Duration
    private var lastHeard: ContinuousClock.Instant
    private var lastHeartbeatSent: ContinuousClock.Instant
    private var lastCoordinatorID: String?

    /// An idle session with the settings' heartbeat and back-off rules; ``start(now:)`` begins it.
    public init(settings: WorkerSettings, now: ContinuousClock.Instant) {
        interval = settings.heartbeatInterval
        liveness = settings.heartbeatLiveness
        reconnectInitial = settings.reconnectInitial
        reconnectMax = settings.reconnectMax
        backoff = settings.reconnectInitial
        lastHeard = now
        lastHeartbeatSent = now
    }

    /// The current heartbeat interval (the coordinator's, once welcomed).
    public var heartbeatInterval: Duration { interval }

    /// Starts the session: connect and register.
    public mutating func start(now: ContinuousClock.Instant) -> Output {
        connectAndRegister(now: now)
    }

    private mutating func connectAndRegister(now: ContinuousClock.Instant) -> Output {
        state = .registering
        lastHeard = now
        lastHeartbeatSent = now
        return Output(directives: [.connect, .sendRegister])
    }

    /// A message from the coordinator.
    public mutating func received(_ message: Message, now: ContinuousClock.Instant) -> Output {
        switch state {
        case .failed, .stopped, .idle, .waitingToReconnect: return Output()
        case .registering, .registered: break
        }
        lastHeard = now
        var output = Output()
        switch message {
        case .welcome(let welcome):
            let restarted = lastCoordinatorID != nil && lastCoordinatorID != welcome.coordinatorID
            lastCoordinatorID = welcome.coordinatorID
            if welcome.heartbeatIntervalMs > 0 { interval = .milliseconds(welcome.heartbeatIntervalMs) }
            if welcome.heartbeatLiveness > 0 { liveness = welcome.heartbeatLiveness }
            backoff = reconnectInitial
            state = .registered(coordinatorID: welcome.coordinatorID)
            output.events.append(.registered(coordinatorID: welcome.coordinatorID, restarted: restarted))
        case .error(let reply):
            output.events.append(.coordinatorError(reply))
            switch reply.code {
            case .unknownWorker:
                state = .registering
                output.events.append(.reregisterRequested)
                output.directives.append(.sendRegister)
            case .versionMismatch, .registrationRefused, .limitExceeded:
                state = .failed(reason: reply.message)
                output.directives.append(.fail(reason: "coordinator refused this worker: \(reply.message)"))
            default:
                // Including worker_id_in_use: the id's holder has not been declared dead yet;
                // staying unregistered lets the silence timeout reconnect and register again
                // after the back-off.
                break
            }
        default:
            break
        }
        return output
    }

    /// Advances time: sends due heartbeats, or gives up on a silent coordinator and reconnects.
    public mutating func tick(now: ContinuousClock.Instant) -> Output {
        switch state {
        case .registering, .registered:
            if now - lastHeard > interval * liveness {
                state = .waitingToReconnect(until: now + backoff)
                let delay = backoff
                backoff = min(backoff * 2, reconnectMax)
                return Output(directives: [.disconnect], events: [.coordinatorSilent(reconnectIn: delay)])
            }
            if case .registered = state, now - lastHeartbeatSent >= interval {
                lastHeartbeatSent = now
                return Output(directives: [.sendHeartbeat])
            }
            return Output()
        case .waitingToReconnect(let until):
            return now >= until ? connectAndRegister(now: now) : Output()
        case .idle, .failed, .stopped:
            return Output()
        }
    }

    /// Graceful shutdown: tell a coordinator we are registered with, then stop.
    public mutating func shutdown(reason: String) -> Output {
        defer { state = .stopped }
        if case .registered = state { return Output(directives: [.sendDeregister(reason: reason)]) }
        return Output()
    }
}
