import Logging
import Prometheus
@testable import Proxy
import Testing

/// The backend set's update logic with no network: which backends stay, join and leave, and round robin
/// over whatever the set holds now.
struct BackendSetTests {
    private let metrics = ProxyMetrics(registry: PrometheusCollectorRegistry())
    private let logger: Logger = {
        var logger = Logger(label: "backend-set-test")
        logger.logLevel = .critical
        return logger
    }()

    private func address(_ last: Int) -> BackendAddress {
        BackendAddress(host: "10.0.0.\(last)", port: 9000, hostHeader: "replica:9000")
    }

    @discardableResult
    private func update(_ set: BackendSet, to lasts: [Int]) -> BackendChanges {
        set.update(to: lasts.map(address)) { address, slot in
            Backend(slot: slot, address: address, healthy: true, ejectAfter: 1, metrics: metrics, logger: logger)
        }
    }

    private func urls(_ backends: [Backend]) -> [String] { backends.map(\.address.description) }

    @Test func newAddressesAreAppendedAndVanishedOnesLeave() {
        let set = BackendSet()
        let first = update(set, to: [1, 2])
        #expect(urls(first.added) == ["http://10.0.0.1:9000", "http://10.0.0.2:9000"])
        #expect(first.removed.isEmpty)
        let one = set.backends[0]

        let second = update(set, to: [3, 1])
        #expect(urls(second.added) == ["http://10.0.0.3:9000"])
        #expect(urls(second.removed) == ["http://10.0.0.2:9000"])
        #expect(urls(set.backends) == ["http://10.0.0.1:9000", "http://10.0.0.3:9000"])
        #expect(set.backends[0] === one, "a backend that stays keeps its object, health and counters")
        #expect(set.generation == 2)
    }

    @Test func theSameAddressesAgainChangeNothing() {
        let set = BackendSet()
        update(set, to: [1, 2])
        let before = set.snapshot
        let again = update(set, to: [2, 1])
        #expect(again.isEmpty)
        #expect(set.generation == before.generation)
        #expect(set.snapshot === before)
    }

    @Test func duplicatesAreOneBackend() {
        let set = BackendSet()
        let changes = set.update(to: [address(1), BackendAddress(host: "10.0.0.1", port: 9000), address(1)]) { address, slot in
            Backend(slot: slot, address: address, healthy: true, ejectAfter: 1, metrics: metrics, logger: logger)
        }
        #expect(changes.added.count == 1)
        #expect(set.backends.map(\.address.hostHeader) == ["replica:9000"], "the first of duplicates wins")
    }

    @Test func slotsOfRemovedBackendsAreReused() {
        let set = BackendSet()
        update(set, to: [1, 2, 3])
        #expect(set.backends.map(\.slot) == [0, 1, 2])
        update(set, to: [1, 3])
        update(set, to: [1, 3, 4, 5])
        #expect(set.backends.map(\.slot) == [0, 2, 1, 3])
        #expect(Set(set.backends.map(\.slot)).count == set.backends.count)
    }

    @Test func emptyingTheSetRemovesEveryBackend() {
        let set = BackendSet()
        update(set, to: [1, 2])
        let changes = update(set, to: [])
        #expect(changes.removed.count == 2)
        #expect(set.backends.isEmpty)
        #expect(set.pick() == nil)
    }

    @Test func roundRobinCoversTheNewSetEvenly() {
        let set = BackendSet()
        update(set, to: [1, 2])
        var counts: [String: Int] = [:]
        for _ in 0..<4 { counts[set.pick()!.address.host, default: 0] += 1 }
        #expect(counts == ["10.0.0.1": 2, "10.0.0.2": 2])

        update(set, to: [2, 3, 4])
        counts = [:]
        for _ in 0..<9 { counts[set.pick()!.address.host, default: 0] += 1 }
        #expect(counts == ["10.0.0.2": 3, "10.0.0.3": 3, "10.0.0.4": 3])
    }

    @Test func retiredAndUnhealthyBackendsAreNotPicked() {
        let set = BackendSet()
        let changes = update(set, to: [1, 2])
        changes.added[0].retire()
        changes.added[1].probeFailed("test")
        #expect(set.pick() == nil)
        changes.added[1].probePassed()
        #expect(set.pick() === changes.added[1])
        changes.added[0].probePassed()
        #expect(!changes.added[0].isHealthy, "a retired backend never comes back")
    }
}
