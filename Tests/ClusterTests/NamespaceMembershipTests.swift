import Foundation
import Testing
import TestSupport
import TrainyardML
import TrainyardProtocol

/// The membership scenario across hosts: coordinator and workers each in their own network
/// namespace with its own address, joined by veth links.
@Suite(.serialized, .timeLimit(.minutes(3)),
       .enabled(if: NetworkNamespaces.available, "needs root and iproute2 to create network namespaces"))
struct NamespaceMembershipTests {
    @Test func workersOnOtherHostsRegisterDieAndRejoinAfterAPartition() async throws {
        let hosts = try NetworkNamespaces(workers: 2)
        defer { hosts.remove() }
        let cluster = Cluster(bind: "tcp://0.0.0.0:5555", probeEndpoint: "tcp://127.0.0.1:5555",
                              wrapper: hosts.exec(in: hosts.coordinatorNamespace))
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for i in 1...2 {
            try cluster.startWorker("host\(i)", connect: "tcp://\(hosts.coordinatorAddress(forWorker: i)):5555",
                                    wrapper: hosts.exec(in: hosts.workerNamespaces[i - 1]))
        }
        #expect(await cluster.waitUntilAlive(["host1", "host2"]) != nil, "workers did not register:\n\(cluster.logs)")

        // A partition: host2's link goes down, it is declared dead; when the link returns
        // the same process re-registers by itself.
        let pid = cluster.workers["host2"]!.pid
        try hosts.setLink(worker: 2, up: false)
        let dead = await eventually(timeout: .seconds(10)) { await cluster.probe.workers(in: .dead)?["host2"] }
        #expect(dead != nil, "host2 not declared dead after the partition:\n\(cluster.logs)")
        try hosts.setLink(worker: 2, up: true)
        let back = await cluster.waitUntilAlive(["host1", "host2"], timeout: .seconds(20))
        #expect(back?["host2"]?.pid == pid, "host2 did not rejoin after the partition healed:\n\(cluster.logs)")

        // kill -9 on another host is noticed the same way.
        cluster.workers["host1"]!.signal(SIGKILL)
        let killed = await eventually(timeout: .seconds(10)) { await cluster.probe.workers(in: .dead)?["host1"] }
        #expect(killed != nil, "\(cluster.logs)")
    }

    @Test func aJobTrainsAcrossWorkersOnOtherHostsAndEqualsTheLocalModel() async throws {
        let data = try await DistributedTrainingTests.dataset(rows: 6000)
        let arguments = ["--data", data, "--label", "churned", "--n-trees", "10"]
        let local = try await DistributedTrainingTests.local(arguments)
        let hosts = try NetworkNamespaces(workers: 2)
        defer { hosts.remove() }
        let inCoordinator = hosts.exec(in: hosts.coordinatorNamespace)
        let cluster = Cluster(bind: "tcp://0.0.0.0:5555", probeEndpoint: "tcp://127.0.0.1:5555", wrapper: inCoordinator)
        defer { cluster.stopAll() }
        try cluster.startCoordinator()
        for i in 1...2 {
            try cluster.startWorker("host\(i)", connect: "tcp://\(hosts.coordinatorAddress(forWorker: i)):5555",
                                    wrapper: hosts.exec(in: hosts.workerNamespaces[i - 1]))
        }
        try #require(await cluster.waitUntilAlive(["host1", "host2"]) != nil, "workers did not register:\n\(cluster.logs)")
        let result = try await TrainyardProcess.run(["submit", "train", "--coordinator", "tcp://127.0.0.1:5555", "--workers", "2",
                                                     "--wait", "--json"] + arguments, wrapper: inCoordinator, timeout: .seconds(120))
        let job = try DistributedTrainingTests.lastJob(result.stdout, context: "\(result.stderr)\n\(cluster.logs)")
        #expect(job["state"] as? String == "succeeded", "\(job)\n\(cluster.logs)")
        #expect(Set(job["assigned"] as? [String] ?? []) == ["host1", "host2"])
        #expect(DistributedTrainingTests.trained(try DistributedTrainingTests.model(of: job)) == DistributedTrainingTests.trained(local))
    }
}
