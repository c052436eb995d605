import Foundation
import ModelRegistry
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A registry that accepts connections but never answers (a hung process, a half-open network) costs a client its
/// request timeout, not a minute, and the error names the URL.
struct RegistryClientTimeoutTests {
    /// A socket listening on loopback whose connections the kernel completes and nobody ever reads.
    final class SilentServer {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
            var bound = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            self.fd = fd
            port = Int(UInt16(bigEndian: bound.sin_port))
        }

        deinit { close(fd) }
    }

    @Test func aRegistryThatNeverAnswersFailsWithinTheRequestTimeoutNamingTheURL() async throws {
        let server = try SilentServer()
        var client = RegistryClient(baseURL: "http://127.0.0.1:\(server.port)")
        client.requestTimeout = .seconds(1)
        let start = ContinuousClock.now
        do {
            _ = try await client.models()
            Issue.record("a registry that never answers returned models")
        } catch {
            let message = error.description
            #expect(message.contains("http://127.0.0.1:\(server.port)/api/v1/models"), "\(message)")
            #expect(message.contains("no complete answer within 1.0 seconds"), "\(message)")
        }
        // The message names the 1 s timeout; the clock only rules out the old 60 s default (a loaded test process
        // resumes late: 37 s was seen with the whole suite running on 2 cores).
        #expect(ContinuousClock.now - start < .seconds(60), "the old client took its 60 s default")
    }

    @Test func theDefaultsFailFast() {
        let client = RegistryClient(baseURL: "127.0.0.1:8080/")
        #expect(client.baseURL == "http://127.0.0.1:8080")
        #expect(client.requestTimeout == .seconds(10) && RegistryClient.connectTimeout == .seconds(2))
    }
}
