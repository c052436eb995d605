@testable import Coordinator
import Testing
import TrainyardProtocol

/// The membership state machine, driven by hand-made messages and a hand-moved clock.
struct MembershipTests {
    let t0 = ContinuousClock.now
    var settings: MembershipSettings {
        var settings = MembershipSettings()
        settings.heartbeatInterval = .seconds(1)
        settings.heartbeatLiveness = 3
        settings.retention = .seconds(60)
        return settings
    }

    func registration(_ id: String, cores: Int = 4) -> Register {
        Register(workerID: id, host: "h-\(id)", cores: cores, memoryBytes: 1 << 30, pid: 100, software: "test")
    }

    func joined(_ ids: [String]) -> Membership {
        var membership = Membership(settings: settings, coordinatorID: "c1", now: t0)
        for id in ids { _ = membership.register(registration(id), from: PeerID(id), correlationID: 1, now: t0) }
        return membership
    }

    @Test func registrationIsWelcomedWithTheHeartbeatRules() {
        var membership = Membership(settings: settings, coordinatorID: "c1", now: t0)
        let output = membership.register(registration("w1"), from: PeerID("w1"), correlationID: 42, now: t0)
        let welcome = Welcome(coordinatorID: "c1", heartbeatIntervalMs: 1000, heartbeatLiveness: 3)
        #expect(output.directives == [.sendWelcome(to: PeerID("w1"), welcome, correlationID: 42)])
        #expect(output.events == [.joined(workerID: "w1")])
        #expect(membership.aliveWorkerIDs == ["w1"])
    }

    @Test func heartbeatsAreSentEveryIntervalToLiveWorkers() {
        var membership = joined(["a", "b"])
        #expect(membership.tick(now: t0 + .milliseconds(500)).directives.isEmpty)
        let due = membership.tick(now: t0 + .seconds(1))
        #expect(due.directives == [.sendHeartbeat(to: PeerID("a")), .sendHeartbeat(to: PeerID("b"))])
        #expect(membership.tick(now: t0 + .milliseconds(1500)).directives.isEmpty)
    }

    @Test func aWorkerSilentForIntervalTimesLivenessIsDeclaredDeadNotBefore() {
        var membership = joined(["a", "b"])
        // "b" keeps heartbeating, "a" goes silent at t0.
        for second in 1...3 { _ = membership.heartbeat(from: PeerID("b"), now: t0 + .seconds(second)) }
        #expect(membership.tick(now: t0 + .seconds(3)).events.isEmpty, "exactly 3 s of silence is not yet dead")
        let output = membership.tick(now: t0 + .milliseconds(3100))
        #expect(output.events == [.died(workerID: "a", silentFor: .milliseconds(3100))])
        #expect(membership.aliveWorkerIDs == ["b"])
        #expect(membership.status(now: t0 + .milliseconds(3100)).workers.first { $0.workerID == "a" }?.state == .dead)
    }

    @Test func heartbeatFromAnUnknownOrDeadWorkerAsksItToRegisterAgain() {
        var membership = joined(["a"])
        let unknown = membership.heartbeat(from: PeerID("stranger"), now: t0)
        guard case .sendError(let peer, let reply, _) = unknown.directives.first else {
            Issue.record("expected an error reply, got \(unknown.directives)")
            return
        }
        #expect(peer == PeerID("stranger"))
        #expect(reply.code == .unknownWorker)

        _ = membership.tick(now: t0 + .seconds(4))
        let afterDeath = membership.heartbeat(from: PeerID("a"), now: t0 + .seconds(5))
        #expect(afterDeath.directives.count == 1)
        let rejoin = membership.register(registration("a"), from: PeerID("a"), correlationID: 2, now: t0 + .seconds(5))
        #expect(rejoin.events == [.rejoined(workerID: "a")])
        #expect(membership.status(now: t0 + .seconds(5)).workers[0].registrations == 2)
        #expect(membership.aliveWorkerIDs == ["a"])
    }

    @Test func deregisteredWorkerIsListedAsLeftAndThenForgotten() {
        var membership = joined(["a"])
        let output = membership.deregister(Deregister(reason: "SIGTERM"), from: PeerID("a"), now: t0 + .seconds(1))
        #expect(output.events == [.left(workerID: "a", reason: "SIGTERM")])
        #expect(membership.status(now: t0 + .seconds(1)).workers.map(\.state) == [.left])
        // A departed worker is not declared dead, and goes once retention passes.
        #expect(membership.tick(now: t0 + .seconds(30)).events.isEmpty)
        #expect(membership.tick(now: t0 + .seconds(62)).events == [.forgotten(workerID: "a")])
        #expect(membership.status(now: t0 + .seconds(62)).workers.isEmpty)
    }

    @Test func invalidRegistrationsAreRefusedWithAReason() {
        var membership = Membership(settings: settings, coordinatorID: "c1", now: t0)
        for bad in [registration("has space"), registration(""), registration(String(repeating: "x", count: 256)),
                    registration("ok", cores: 0)] {
            let output = membership.register(bad, from: PeerID("p"), correlationID: 3, now: t0)
            guard case .sendError(_, let reply, 3) = output.directives.first else {
                Issue.record("\(bad.workerID) was not refused")
                continue
            }
            #expect(reply.code == .registrationRefused)
        }
        #expect(membership.aliveWorkerIDs.isEmpty)
    }

    @Test func reRegistrationFromANewConnectionTakesOverTheWorkerID() {
        var membership = joined(["a"])
        _ = membership.register(registration("a"), from: PeerID("a-new-socket"), correlationID: 5, now: t0 + .seconds(1))
        // Heartbeats now count only from the new connection.
        #expect(membership.heartbeat(from: PeerID("a"), now: t0 + .seconds(2)).directives.count == 1)
        #expect(membership.heartbeat(from: PeerID("a-new-socket"), now: t0 + .seconds(2)).directives.isEmpty)
    }

    @Test func statusListsWorkersSortedWithLastSeen() {
        var membership = joined(["b", "a"])
        _ = membership.heartbeat(from: PeerID("a"), now: t0 + .milliseconds(500))
        let status = membership.status(now: t0 + .seconds(2))
        #expect(status.workers.map(\.workerID) == ["a", "b"])
        #expect(status.workers[0].lastSeenSecondsAgo == 1.5)
        #expect(status.workers[1].lastSeenSecondsAgo == 2.0)
        #expect(status.uptimeSeconds == 2.0)
        #expect(status.coordinatorID == "c1")
    }
}
