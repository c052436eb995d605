@testable import Coordinator
import Testing
import TrainyardProtocol

/// The training job's shard placement and recovery, driven by hand-made failures and a
/// hand-moved clock: every fault path the multi-process tests reach, decided without processes.
struct TrainingRunTests {
    let t0 = ContinuousClock.now
    let wait = Duration.seconds(30)

    func run(shards: Int, workers: [String]) -> TrainingRun {
        var run = TrainingRun(shards: shards, workers: workers, workerWait: wait)
        run.placed(run.pending)
        return run
    }

    @Test func shardsStartRoundRobinAndAreShippedOnce() {
        var run = TrainingRun(shards: 5, workers: ["a", "b"], workerWait: wait)
        #expect(run.placement == ["a", "b", "a", "b", "a"] && run.pending == [0, 1, 2, 3, 4])
        run.placed([0, 1, 2, 3, 4])
        run.cutsChanged()                                    // new cuts: binned again, not shipped again
        #expect(run.pending == [0, 1, 2, 3, 4] && run.shipped.allSatisfy { $0 })
        #expect(run.beginAttempt() == false && run.beginAttempt() == true)   // a second attempt replays the checkpoint
    }

    @Test func aLostWorkersShardsMoveToTheLeastLoadedLiveWorkers() {
        var run = run(shards: 4, workers: ["a", "b", "c"])    // a: 0, 3; b: 1; c: 2
        let directives = run.handle(.failed(.workersLost(["a"]), alive: ["b", "c"], lost: ["a"], now: t0))
        #expect(directives == [.move(shard: 0, from: "a", to: "b"), .move(shard: 3, from: "a", to: "c"), .resume(forgiving: ["a"])])
        #expect(run.placement == ["b", "b", "c", "c"] && run.recoveries == 1)
        #expect(run.pending == [0, 3] && run.shipped == [false, true, true, false])   // only the moved shards ship again
    }

    @Test func aWorkerThatRegisteredAgainIsAliveButEmptySoItsShardsShipAgain() {
        var run = run(shards: 2, workers: ["a", "b"])
        let directives = run.handle(.failed(.workersLost(["a"]), alive: ["a", "b"], lost: ["a"], now: t0))
        #expect(directives == [.move(shard: 0, from: "a", to: "a"), .resume(forgiving: ["a"])])
        #expect(run.pending == [0])
    }

    @Test func aWorkerThatTimesOutOrLiesIsDroppedEvenThoughItIsAlive() {
        var run = run(shards: 2, workers: ["a", "b"])
        let lie = ClusterError.invalidReply(worker: "b", reason: "SPLIT_REPLY row counts (9, 9) of split 0 do not fit")
        let directives = run.handle(.failed(lie, alive: ["a", "b"], lost: [], now: t0))
        #expect(directives == [.abort(worker: "b", reason: "dropped from the job: \(lie)"), .move(shard: 1, from: "b", to: "a"),
                               .resume(forgiving: [])])
        // Later, "a" times out: no worker is left that was not dropped, and the wait ends in failure naming both.
        let timeout = ClusterError.timeout(worker: "a", .seconds(60))
        #expect(run.handle(.failed(timeout, alive: ["a", "b"], lost: [], now: t0)).last == .waitForWorkers(until: t0 + wait))
        guard case .fail(.workersFailed(let reasons, let waited)) = run.handle(.tick(alive: ["a", "b"], lost: [], now: t0 + wait)).first else {
            Issue.record("the job did not fail")
            return
        }
        #expect(reasons.keys.sorted() == ["a", "b"] && waited == wait)
    }

    @Test func withEveryWorkerGoneTheJobWaitsForOneAndTakesItInTime() {
        var run = run(shards: 2, workers: ["a", "b"])
        #expect(run.handle(.failed(.workersLost(["a", "b"]), alive: [], lost: ["a", "b"], now: t0)) == [.waitForWorkers(until: t0 + wait)])
        #expect(run.handle(.tick(alive: [], lost: [], now: t0 + .seconds(10))) == [.waitForWorkers(until: t0 + wait)])
        let directives = run.handle(.tick(alive: ["c"], lost: [], now: t0 + .seconds(29)))
        #expect(directives == [.move(shard: 0, from: "a", to: "c"), .move(shard: 1, from: "b", to: "c"), .resume(forgiving: ["a", "b"])])
        #expect(run.handle(.tick(alive: ["c"], lost: [], now: t0 + .seconds(40))).isEmpty)   // not recovering any more
    }

    @Test func withEveryWorkerGoneTheJobFailsWhenTheWaitEnds() {
        var run = run(shards: 2, workers: ["a", "b"])
        _ = run.handle(.failed(.workersLost(["a", "b"]), alive: [], lost: ["a", "b"], now: t0))
        guard case .fail(.noWorkers(let waited)) = run.handle(.tick(alive: [], lost: [], now: t0 + wait)).first else {
            Issue.record("the job did not fail")
            return
        }
        #expect(waited == wait)
    }

    @Test func cancellingWhileWaitingAndErrorsNoWorkerCanFixFailTheJob() {
        var run = run(shards: 1, workers: ["a"])
        _ = run.handle(.failed(.workersLost(["a"]), alive: [], lost: ["a"], now: t0))
        guard case .fail(.cancelled) = run.handle(.cancel).first else { Issue.record("not cancelled"); return }
        let refused = ClusterError.workerError(worker: "a", ErrorReply(code: .malformedMessage, message: "no"))
        guard case .fail(.workerError(let worker, _)) = run.handle(.failed(refused, alive: ["a"], lost: [], now: t0)).first else {
            Issue.record("a refusal was retried")
            return
        }
        #expect(worker == "a")
        let inconsistent = ClusterError.inconsistentReplies(workers: ["a"], reason: "left exceeds parent")
        guard case .fail(.inconsistentReplies) = run.handle(.failed(inconsistent, alive: ["a"], lost: [], now: t0)).first else {
            Issue.record("inconsistent replies were retried")
            return
        }
        #expect(run.recoveries == 0)
    }
}
