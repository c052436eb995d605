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

    func errorCode(_ output: Membership.Output) -> ErrorCode? {
        guard case .sendError(_, let reply, _) = output.directives.first else { return nil }
        return reply.code
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

    @Test func aLiveWorkerIDClaimedFromAnotherConnectionIsRefusedUntilTheHolderIsDeclaredDead() {
        var membership = joined(["a"])
        let impostor = PeerID("impostor-socket")
        let claim = membership.register(registration("a"), from: impostor, correlationID: 5, now: t0 + .seconds(1))
        guard case .sendError(let peer, let reply, 5) = claim.directives.first else {
            Issue.record("the claim was not refused: \(claim)")
            return
        }
        #expect(peer == impostor)
        #expect(reply.code == .workerIDInUse)
        #expect(reply.message.contains("'a' is held by a live worker on another connection"))
        #expect(claim.events.count == 1 && claim.directives.count == 1, "no welcome, no rejoin: \(claim)")
        // The holder keeps its id; the impostor's heartbeats do not count.
        #expect(membership.heartbeat(from: PeerID("a"), now: t0 + .seconds(2)).directives.isEmpty)
        #expect(membership.heartbeat(from: impostor, now: t0 + .seconds(2)).directives.count == 1)
        #expect(membership.status(now: t0 + .seconds(2)).workers[0].registrations == 1)
        // Still refused while the holder is alive (silent for exactly interval × liveness).
        let early = membership.register(registration("a"), from: impostor, correlationID: 6, now: t0 + .seconds(5))
        #expect(errorCode(early) == .workerIDInUse)
        // Once the holder is declared dead, another connection may claim the id.
        #expect(membership.tick(now: t0 + .milliseconds(5100)).events == [.died(workerID: "a", silentFor: .milliseconds(3100))])
        let taken = membership.register(registration("a"), from: impostor, correlationID: 7, now: t0 + .seconds(6))
        #expect(taken.events == [.rejoined(workerID: "a")])
        #expect(membership.alivePeers == ["a": impostor])
        #expect(membership.heartbeat(from: PeerID("a"), now: t0 + .seconds(6)).directives.count == 1)
    }

    @Test func aDepartedWorkerIDCanBeClaimedFromAnotherConnectionAtOnce() {
        var membership = joined(["a"])
        _ = membership.deregister(Deregister(reason: "restart"), from: PeerID("a"), now: t0 + .seconds(1))
        let output = membership.register(registration("a"), from: PeerID("a-2"), correlationID: 8, now: t0 + .seconds(1))
        #expect(output.events == [.rejoined(workerID: "a")])
        #expect(membership.alivePeers == ["a": PeerID("a-2")])
    }

    @Test func theSameConnectionRegisteringAgainKeepsItsWorkerID() {
        var membership = joined(["a"])
        let output = membership.register(registration("a"), from: PeerID("a"), correlationID: 9, now: t0 + .seconds(1))
        #expect(output.events == [.rejoined(workerID: "a")])
        #expect(membership.status(now: t0 + .seconds(1)).workers[0].registrations == 2)
    }

    @Test func aConnectionCannotHoldTwoWorkerIDs() {
        var membership = joined(["a"])
        let output = membership.register(registration("b"), from: PeerID("a"), correlationID: 10, now: t0 + .seconds(1))
        guard case .sendError(_, let reply, 10) = output.directives.first else {
            Issue.record("a second id on one connection was accepted: \(output)")
            return
        }
        #expect(reply.code == .registrationRefused)
        #expect(membership.aliveWorkerIDs == ["a"])
    }

    @Test func registerFieldsOutsideTheirLimitsAreRefusedNamingTheFieldAndTheLimit() {
        var membership = Membership(settings: settings, coordinatorID: "c1", now: t0)
        let huge = String(repeating: "h", count: 16 << 20)
        var cases: [(Register, String, String)] = []
        var r = registration("w1"); r.host = huge; cases.append((r, "host", "≤ 255 bytes"))
        r = registration("w1"); r.software = String(repeating: "s", count: 256); cases.append((r, "software", "≤ 255 bytes"))
        r = registration("w1", cores: 1 << 40); cases.append((r, "cores", "1...4096"))
        r = registration("w1"); r.pid = -1; cases.append((r, "pid", "0...2147483647"))
        for (request, field, limit) in cases {
            let output = membership.register(request, from: PeerID("w1"), correlationID: 11, now: t0)
            guard case .sendError(_, let reply, 11) = output.directives.first else {
                Issue.record("\(field) out of range was accepted")
                continue
            }
            #expect(reply.code == .limitExceeded)
            #expect(reply.field == field)
            #expect(reply.limit == limit)
            #expect(reply.message.utf8.count < 200, "the reply must not echo the field")
        }
        #expect(membership.status(now: t0).workers.isEmpty)
    }

    @Test func aFullTableForgetsTheOldestDepartedWorkerAndRefusesWhenAllAreAlive() {
        var limited = settings
        limited.maxWorkers = 2
        var membership = Membership(settings: limited, coordinatorID: "c1", now: t0)
        _ = membership.register(registration("a"), from: PeerID("a"), correlationID: 1, now: t0)
        _ = membership.register(registration("b"), from: PeerID("b"), correlationID: 1, now: t0)
        let refused = membership.register(registration("c"), from: PeerID("c"), correlationID: 12, now: t0)
        guard case .sendError(_, let reply, 12) = refused.directives.first else {
            Issue.record("a worker beyond the table's size was accepted")
            return
        }
        #expect(reply.code == .limitExceeded && reply.field == "workers")
        _ = membership.deregister(Deregister(reason: "bye"), from: PeerID("a"), now: t0 + .seconds(1))
        let admitted = membership.register(registration("c"), from: PeerID("c"), correlationID: 13, now: t0 + .seconds(2))
        #expect(admitted.events == [.forgotten(workerID: "a"), .joined(workerID: "c")])
        #expect(membership.status(now: t0 + .seconds(2)).workers.map(\.workerID) == ["b", "c"])
    }

    @Test func anOversizedDeregisterReasonIsRefusedAndTheWorkerStays() {
        var membership = joined(["a"])
        let output = membership.deregister(Deregister(reason: String(repeating: "r", count: 1025)), from: PeerID("a"), now: t0)
        guard case .sendError(_, let reply, _) = output.directives.first else {
            Issue.record("an oversized reason was accepted")
            return
        }
        #expect(reply.field == "reason")
        #expect(membership.aliveWorkerIDs == ["a"])
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
