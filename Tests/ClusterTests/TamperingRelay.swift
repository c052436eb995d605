import Foundation
import TrainyardProtocol
import ZeroMQ

/// A man in the middle that turns a real `trainyard worker` into a misbehaving one: the
/// worker connects to the relay's ROUTER, the relay connects to the coordinator as a
/// DEALER with the worker's id, and forwards every message both ways — passing each of the
/// worker's messages through `tamper` first (return `nil` to drop it).
final class TamperingRelay: Sendable {
    /// Decides what becomes of one of the worker's messages: its type, how many messages of
    /// that type the worker sent before it, and its frames (header first).
    typealias Tamper = @Sendable (_ type: MessageType?, _ before: Int, _ frames: [ZMQFrame]) -> [ZMQFrame]?

    /// What the worker connects to.
    let endpoint: String
    private let upstream: ZMQSocketLoop
    private let downstream: ZMQSocketLoop
    private let tasks: [Task<Void, Never>]

    init(workerID: String, coordinator: String, tamper: @escaping Tamper) throws {
        let context = try ZMQContext()
        upstream = try ZMQSocketLoop(context: context, kind: .dealer, name: "relay-up") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.set(.routingID(Array(workerID.utf8)))
            try socket.connect(coordinator)
        }
        downstream = try ZMQSocketLoop(context: context, kind: .router, name: "relay-down") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.bind("tcp://127.0.0.1:*")
        }
        endpoint = downstream.boundEndpoint!
        let (upstream, downstream) = (self.upstream, self.downstream)
        let peer = PeerBox()
        tasks = [
            Task {
                var seen: [UInt16: Int] = [:]
                for await frames in downstream.messages where frames.count >= 2 {
                    peer.set(frames[0])
                    let message = Array(frames.dropFirst())
                    let raw = Self.type(of: message[0])
                    let before = seen[raw ?? 0, default: 0]
                    seen[raw ?? 0, default: 0] += 1
                    if let forwarded = tamper(raw.flatMap(MessageType.init(rawValue:)), before, message) {
                        upstream.send(forwarded)
                    }
                }
            },
            Task {
                for await frames in upstream.messages {
                    guard let id = peer.get() else { continue }
                    downstream.send([id] + frames)
                }
            },
        ]
    }

    /// The header's type field (bytes 6–7, little-endian).
    static func type(of header: ZMQFrame) -> UInt16? {
        guard header.count >= 8 else { return nil }
        let bytes = header.bytes
        return UInt16(bytes[6]) | UInt16(bytes[7]) << 8
    }

    func close() {
        for task in tasks { task.cancel() }
        upstream.close()
        downstream.close()
    }

    /// The worker's routing id at the relay, learnt from its first message.
    private final class PeerBox: @unchecked Sendable {
        private let lock = NSLock()
        private var frame: ZMQFrame?
        func set(_ id: ZMQFrame) { lock.withLock { frame = id } }
        func get() -> ZMQFrame? { lock.withLock { frame } }
    }
}

extension TamperingRelay {
    /// Replies to training requests (0x01xx, 0x02xx).
    static func isTrainingReply(_ type: MessageType?) -> Bool {
        guard let type else { return false }
        return (0x0100..<0x0300).contains(type.rawValue) || type == .error
    }

    /// Forwards everything until the worker has sent `histograms` HISTOGRAM_REPLYs, then drops
    /// every training reply while heartbeats keep flowing: a live worker that stops answering.
    static func silence(afterHistograms histograms: Int) -> Tamper {
        let silent = SilenceFlag()
        return { type, before, frames in
            if type == .histogramReply && before >= histograms { silent.set() }
            return silent.isSet && isTrainingReply(type) ? nil : frames
        }
    }

    /// From the worker's `histograms`-th HISTOGRAM_REPLY on, its histogram frames lose their
    /// last 8 bytes: frame lengths that disagree with the metadata's payload descriptors.
    static func truncate(afterHistograms histograms: Int) -> Tamper {
        rewriteHistograms(afterHistograms: histograms) { frame in
            ZMQFrame(bytes: frame.bytes.dropLast(8))
        }
    }

    /// From the worker's `histograms`-th HISTOGRAM_REPLY on, every integer of its histograms
    /// is 2^62: well-formed frames holding sums no shard can produce, which overflow when added.
    static func overflow(afterHistograms histograms: Int) -> Tamper {
        rewriteHistograms(afterHistograms: histograms) { frame in
            ZMQFrame(adopting: [Int64](repeating: 1 << 62, count: frame.count / 8))
        }
    }

    /// Rewrites the histogram frames of HISTOGRAM_REPLY (frame 2) and SPLIT_REPLY (frame 3,
    /// the left children) once `histograms` HISTOGRAM_REPLYs went through unchanged.
    private static func rewriteHistograms(afterHistograms histograms: Int,
                                          _ rewrite: @escaping @Sendable (ZMQFrame) -> ZMQFrame) -> Tamper {
        let active = SilenceFlag()
        return { type, before, frames in
            if type == .histogramReply && before >= histograms { active.set() }
            guard active.isSet else { return frames }
            var frames = frames
            if type == .histogramReply, frames.count > 2 { frames[2] = rewrite(frames[2]) }
            if type == .splitReply, frames.count > 3 { frames[3] = rewrite(frames[3]) }
            return frames
        }
    }

    /// A flag set once, read from the relay's forwarding task.
    private final class SilenceFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }
}
