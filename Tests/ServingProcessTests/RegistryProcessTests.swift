import Foundation
import Synchronization
import ModelRegistry
import TestSupport
import Testing
import TrainyardML

/// The registry as a real process under faults (ports 57390–57399).
@Suite(.serialized)
struct RegistryProcessTests {
    @Test func aRegistryKilledDuringConcurrentPublishesLosesNoAcknowledgedVersionAndServesNoPartialOne() async throws {
        let stack = try ServingStack(basePort: 57390)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        let artifacts = try ["v1.model", "v2.model"].map { [UInt8](try #require(FileManager.default.contents(atPath: stack.path($0)))) }
        let client = RegistryClient(baseURL: stack.registryURL)
        // Four publishers in a loop; the registry is killed under them once eight versions are in.
        let published = Counter()
        let acknowledged = await withTaskGroup(of: [Int].self) { group in
            for publisher in 0..<4 {
                group.addTask {
                    var versions: [Int] = []
                    let deadline = ContinuousClock.now + .seconds(20)
                    while ContinuousClock.now < deadline {
                        guard let version = try? await client.publish(name: "churn", artifact: artifacts[publisher % 2]) else { break }
                        versions.append(version.version)
                        published.increment()
                    }
                    return versions
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(15)
                while published.value < 8 && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
                stack.process("registry")?.signal(SIGKILL)
                return []
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(acknowledged.count >= 8, "publishers got \(acknowledged.count) versions in before the kill")
        // Restart on the same directory: versions are 1…n, every acknowledged one is there, and every artifact verifies.
        try await stack.startRegistry()
        let model = try await client.model("churn")
        let numbers = model.versions.map(\.version).sorted()
        #expect(numbers == Array(1...(numbers.last ?? 0)))
        #expect(Set(acknowledged).isSubset(of: Set(numbers)))
        for number in numbers {
            let download = try await client.download("churn", version: number)
            #expect(artifacts.contains(download.bytes))
        }
    }

    @Test func aPublisherKilledMidUploadLeavesNoVersion() async throws {
        let stack = try ServingStack(basePort: 57395)
        defer { stack.stop() }
        try await stack.trainModels(rows: 300)
        try await stack.startRegistry()
        let artifact = [UInt8](try #require(FileManager.default.contents(atPath: stack.path("v1.model"))))
        // A client announces the whole artifact, sends a third of it, and dies (its socket closes).
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(57395).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let head = "POST /api/v1/models/churn/versions HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: \(artifact.count)\r\n\r\n"
        let partial = Array(head.utf8) + artifact.prefix(artifact.count / 3)
        #expect(partial.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) } == partial.count)
        try await Task.sleep(for: .milliseconds(200))
        close(socket)
        try await Task.sleep(for: .milliseconds(300))
        let client = RegistryClient(baseURL: stack.registryURL)
        await #expect(throws: RegistryError.remote(status: 404, message: "no model named 'churn' in the registry")) { try await client.model("churn") }
        // The registry still works: a complete publish gets version 1.
        #expect(try await client.publish(name: "churn", artifact: artifact).version == 1)
    }
}

/// A count shared by concurrent tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}
