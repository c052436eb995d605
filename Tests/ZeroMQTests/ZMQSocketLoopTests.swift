import Foundation
import Testing
import ZeroMQ

/// The socket loop moves messages between threads and async code in order, without loss.
struct ZMQSocketLoopTests {
    func pair(_ context: ZMQContext, _ endpoint: String) throws -> (server: ZMQSocketLoop, client: ZMQSocketLoop) {
        let server = try ZMQSocketLoop(context: context, kind: .router, name: "test-router") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.set(.routerMandatory(true))
            try socket.bind(endpoint)
        }
        let client = try ZMQSocketLoop(context: context, kind: .dealer, name: "test-dealer") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.set(.routingID(Array("client".utf8)))
            try socket.connect(server.boundEndpoint ?? endpoint)
        }
        return (server, client)
    }

    @Test(arguments: ["inproc://loop-order", "tcp://127.0.0.1:0"])
    func messagesArriveInOrderAndRepliesFindTheirPeer(endpoint: String) async throws {
        let context = try ZMQContext()
        let (server, client) = try pair(context, endpoint)
        let count = 2_000
        let echo = Task {
            var seen = 0
            for await frames in server.messages {
                server.send(frames)                 // [routing id, payload] straight back
                seen += 1
                if seen == count { break }
            }
        }
        for i in 0..<count { client.send([ZMQFrame(adopting: [UInt32(i)])]) }
        var received: [UInt32] = []
        for await frames in client.messages {
            received.append(frames[0].withUnsafeBytes { $0.load(as: UInt32.self) })
            if received.count == count { break }
        }
        #expect(received == (0..<UInt32(count)).map { $0 })
        await echo.value
        server.close()
        client.close()
        await server.closed()
        await client.closed()
    }

    @Test func largeFramesSurviveTheHighWaterMark() async throws {
        let context = try ZMQContext()
        let server = try ZMQSocketLoop(context: context, kind: .pull, name: "test-pull") { socket in
            try socket.set(.receiveHighWaterMark(2))
            try socket.bind("tcp://127.0.0.1:0")
        }
        let client = try ZMQSocketLoop(context: context, kind: .push, name: "test-push") { socket in
            try socket.set(.sendHighWaterMark(2))
            try socket.set(.linger(milliseconds: 1000))
            try socket.connect(server.boundEndpoint!)
        }
        let values = (0..<(1 << 20)).map { Float($0) }          // 4 MiB per message
        for _ in 0..<20 { client.send([ZMQFrame(adopting: values)]) }
        var total = 0
        for await frames in server.messages {
            #expect(frames[0].count == values.count * 4)
            total += 1
            if total == 20 { break }
        }
        #expect(total == 20)
        server.close()
        client.close()
    }

    @Test func setupErrorsAreThrownToTheCaller() throws {
        let context = try ZMQContext()
        #expect(throws: ZMQError.self) {
            _ = try ZMQSocketLoop(context: context, kind: .router, name: "bad") { socket in
                try socket.bind("tcp://127.0.0.1:notaport")
            }
        }
    }

    @Test func closingFinishesTheStream() async throws {
        let context = try ZMQContext()
        let loop = try ZMQSocketLoop(context: context, kind: .dealer, name: "closing") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.connect("tcp://127.0.0.1:9")
        }
        loop.close()
        await loop.closed()
        var count = 0
        for await _ in loop.messages { count += 1 }
        #expect(count == 0)
        loop.send([ZMQFrame(bytes: [1])])             // after close: dropped, no crash
    }

    @Test func routerReportsMessagesToDepartedPeers() async throws {
        let context = try ZMQContext()
        let failures = LockedCounter()
        let server = try ZMQSocketLoop(context: context, kind: .router, name: "mandatory",
                                       onSendFailure: { failure in
                                           if failure.error.isHostUnreachable { failures.increment() }
                                       }) { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.set(.routerMandatory(true))
            try socket.bind("inproc://mandatory")
        }
        server.send([ZMQFrame(string: "nobody"), ZMQFrame(bytes: [1])])
        let reported = try await waitFor { failures.value == 1 }
        #expect(reported)
        server.close()
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

func waitFor(timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}
