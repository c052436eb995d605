import Testing
import TrainyardProtocol
@testable import Worker

/// The worker's Paranoid Pirate state machine, driven by hand.
struct WorkerSessionTests {
    let t0 = ContinuousClock.now
    var settings: WorkerSettings {
        var settings = WorkerSettings(connect: "tcp://x:1", identity: Register(
            workerID: "w", host: "h", cores: 1, memoryBytes: 1, pid: 1, software: "t"))
        settings.heartbeatInterval = .seconds(1)
        settings.heartbeatLiveness = 3
        settings.reconnectInitial = .seconds(1)
        settings.reconnectMax = .seconds(4)
        return settings
    }
    let welcome = Message.welcome(Welcome(coordinatorID: "c1", heartbeatIntervalMs: 500, heartbeatLiveness: 2))

    @Test func startConnectsAndRegisters() {
        var session = WorkerSession(settings: settings, now: t0)
        #expect(session.start(now: t0).directives == [.connect, .sendRegister])
        #expect(session.state == .registering)
    }

    @Test func welcomeRegistersAndAdoptsTheCoordinatorsHeartbeatRules() {
        var session = WorkerSession(settings: settings, now: t0)
        _ = session.start(now: t0)
        let output = session.received(welcome, now: t0)
        #expect(output.events == [.registered(coordinatorID: "c1", restarted: false)])
        #expect(session.state == .registered(coordinatorID: "c1"))
        #expect(session.heartbeatInterval == .milliseconds(500))
        #expect(session.tick(now: t0 + .milliseconds(400)).directives.isEmpty)
        #expect(session.tick(now: t0 + .milliseconds(500)).directives == [.sendHeartbeat])
    }

    @Test func silentCoordinatorTriggersReconnectWithDoublingBackoff() {
        var session = WorkerSession(settings: settings, now: t0)
        _ = session.start(now: t0)
        // No answer for 3 × 1 s: disconnect and wait 1 s.
        #expect(session.tick(now: t0 + .seconds(3)).directives.isEmpty)
        let first = session.tick(now: t0 + .milliseconds(3100))
        #expect(first.directives == [.disconnect])
        #expect(first.events == [.coordinatorSilent(reconnectIn: .seconds(1))])
        #expect(session.tick(now: t0 + .milliseconds(4000)).directives.isEmpty)
        #expect(session.tick(now: t0 + .milliseconds(4100)).directives == [.connect, .sendRegister])
        // Still silent: the next wait doubles, then caps at reconnectMax.
        #expect(session.tick(now: t0 + .milliseconds(7200)).events == [.coordinatorSilent(reconnectIn: .seconds(2))])
        _ = session.tick(now: t0 + .milliseconds(9200))
        #expect(session.tick(now: t0 + .milliseconds(12300)).events == [.coordinatorSilent(reconnectIn: .seconds(4))])
        _ = session.tick(now: t0 + .milliseconds(16300))
        #expect(session.tick(now: t0 + .milliseconds(19400)).events == [.coordinatorSilent(reconnectIn: .seconds(4))])
    }

    @Test func welcomeResetsTheBackoff() {
        var session = WorkerSession(settings: settings, now: t0)
        _ = session.start(now: t0)
        _ = session.tick(now: t0 + .milliseconds(3100))            // wait 1 s
        _ = session.tick(now: t0 + .milliseconds(4100))            // reconnect
        _ = session.received(welcome, now: t0 + .milliseconds(4200))
        // Silent again (liveness now 2 × 500 ms): the back-off starts over at 1 s.
        #expect(session.tick(now: t0 + .milliseconds(5300)).events == [.coordinatorSilent(reconnectIn: .seconds(1))])
    }

    @Test func restartedCoordinatorAsksForRegistrationAndIsRecognised() {
        var session = WorkerSession(settings: settings, now: t0)
        _ = session.start(now: t0)
        _ = session.received(welcome, now: t0)
        let reply = ErrorReply(code: .unknownWorker, message: "register again")
        let output = session.received(.error(reply), now: t0 + .seconds(1))
        #expect(output.directives == [.sendRegister])
        #expect(session.state == .registering)
        let second = session.received(.welcome(Welcome(coordinatorID: "c2", heartbeatIntervalMs: 500, heartbeatLiveness: 2)),
                                      now: t0 + .seconds(1))
        #expect(second.events == [.registered(coordinatorID: "c2", restarted: true)])
    }

    @Test func versionMismatchStopsTheWorker() {
        var session = WorkerSession(settings: settings, now: t0)
        _ = session.start(now: t0)
        let reply = ErrorReply(code: .versionMismatch, message: "peer speaks protocol version 2; this build speaks 1")
        let output = session.received(.error(reply), now: t0)
        #expect(output.directives == [.fail(reason: "coordinator refused this worker: peer speaks protocol version 2; this build speaks 1")])
        #expect(session.tick(now: t0 + .seconds(10)).directives.isEmpty, "a refused worker does not retry")
    }

    @Test func shutdownDeregistersOnlyWhenRegistered() {
        var registered = WorkerSession(settings: settings, now: t0)
        _ = registered.start(now: t0)
        _ = registered.received(welcome, now: t0)
        #expect(registered.shutdown(reason: "SIGTERM").directives == [.sendDeregister(reason: "SIGTERM")])
        #expect(registered.state == .stopped)

        var connecting = WorkerSession(settings: settings, now: t0)
        _ = connecting.start(now: t0)
        #expect(connecting.shutdown(reason: "SIGTERM").directives.isEmpty)
    }
}
