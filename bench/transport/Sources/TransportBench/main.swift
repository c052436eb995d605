// Transport benchmark, our side: a worker-side DEALER (ZMQSocketLoop + WireCodec) sends
// ECHO_REQUEST messages carrying one 8 MiB f32 payload frame to a real CoordinatorService,
// which answers ECHO_REPLY with the same payload. Keeps `window` messages in flight.
// Prints one line: `ours <GB/s>` counting payload bytes in both directions (`ours-curve
// <GB/s>` with --curve: the same over CurveZMQ, the coordinator admitting the DEALER's key
// through its ZAP handler). bench/transport/raw_zmq.c does exactly the same framing over raw libzmq.
import Coordinator
import Foundation
import Logging
import TrainyardProtocol
import ZeroMQ

let arguments = CommandLine.arguments
func argument(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let parsed = Int(arguments[index + 1]) else {
        return value
    }
    return parsed
}
let sizeMiB = argument("--size-mib", default: 8)
let count = argument("--count", default: 200)
let window = argument("--window", default: 4)
let port = argument("--port", default: 56301)
let endpoint = "tcp://127.0.0.1:\(port)"
let curve = arguments.contains("--curve")

let context = try ZMQContext()
var logger = Logger(label: "bench")
logger.logLevel = .error
var settings = CoordinatorSettings(bind: endpoint)
settings.jobs = JobSettings(stateDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("transport-bench-\(port)").path)
let clientKeys: CurveClientKeys?
if curve {
    let server = try CurveKey.generatePair(), worker = try CurveKey.generatePair()
    settings.curve = CurveServerKeys(secretKey: server.secret, allowed: CurveAllowlist(keys: [worker.public]))
    clientKeys = try CurveClientKeys(secretKey: worker.secret, serverKey: server.public)
} else {
    clientKeys = nil
}
let coordinator = CoordinatorService(settings: settings, context: context, logger: logger)
let server = Task { try await coordinator.run() }

let client = try ZMQSocketLoop(context: context, kind: .dealer, name: "bench-dealer") { socket in
    try socket.set(.linger(milliseconds: 0))
    try clientKeys?.apply(to: socket)
    try socket.connect(endpoint)
}
let values = [Float](repeating: 1.5, count: sizeMiB * 1024 * 1024 / 4)

func exchange(_ messages: Int) async throws -> Duration {
    let start = ContinuousClock.now
    var sent = 0, received = 0
    var replies = client.messages.makeAsyncIterator()
    while sent < min(window, messages) {
        client.send(WireCodec.encode(Envelope(.echoRequest([.float32(values)]), correlationID: UInt64(sent))))
        sent += 1
    }
    while received < messages {
        guard let frames = await replies.next() else { throw ZMQError(code: 0, operation: "stream ended") }
        let reply = try WireCodec.decode(frames)
        guard case .echoReply(let payload) = reply.message, payload.first?.count == values.count else {
            throw ZMQError(code: 0, operation: "unexpected reply \(reply.message.type)")
        }
        received += 1
        if sent < messages {
            client.send(WireCodec.encode(Envelope(.echoRequest([.float32(values)]), correlationID: UInt64(sent))))
            sent += 1
        }
    }
    return ContinuousClock.now - start
}

_ = try await exchange(10)                               // warm-up: connect, allocate
let elapsed = try await exchange(count)
let bytes = Double(count * values.count * 4 * 2)
print(String(format: "%@ %.3f", curve ? "ours-curve" : "ours", bytes / elapsed.seconds / 1e9))
client.close()
server.cancel()
exit(0)
