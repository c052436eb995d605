import Testing
@testable import Coordinator

struct WorkerLeasesTests {
    @Test func trialsLeaseDisjointLiveWorkersAndReleaseThem() {
        var leases = WorkerLeases()
        #expect(leases.lease(2, to: 0, alive: ["w1", "w2", "w3"]) == ["w1", "w2"])
        #expect(leases.lease(2, to: 1, alive: ["w1", "w2", "w3"]) == nil)       // one free worker left
        #expect(leases.lease(1, to: 1, alive: ["w1", "w2", "w3"]) == ["w3"])
        #expect(leases.lease(1, to: 2, alive: ["w1", "w2", "w3", "w4"]) == ["w4"])  // a worker that joined
        leases.release(0)
        #expect(leases.workers(of: 0).isEmpty && leases.workers(of: 1) == ["w3"])
        // A dead worker is never leased, even when free.
        #expect(leases.lease(2, to: 3, alive: ["w2", "w3", "w4"]) == nil)
        #expect(leases.lease(1, to: 3, alive: ["w2", "w3", "w4"]) == ["w2"])
    }
}
