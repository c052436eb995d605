import Foundation
import Synchronization
import TrainyardML
import TrainyardProtocol

/// How a fake peer answers the coordinator's training requests when a job is given to it:
/// mostly with a plausible reply of the expected type (acknowledged chunks, empty sketches,
/// zero histograms of the right layout, one-leaf trees), so the job goes on to later stages,
/// and otherwise wrongly — twice, late, with the wrong type or correlation id, mutated, with
/// an `ERROR`, with sums no shard can hold, not at all, or by letting another peer answer.
struct FuzzWorker {
    /// Correlation ids of the coordinator's requests, handed from the peer that got one to
    /// another that replies with it (shared by all peers of a run).
    final class Stolen: Sendable {
        private let ids = Mutex<[(correlation: UInt64, job: UInt64, type: UInt16)]>([])

        func put(_ correlation: UInt64, job: UInt64, type: UInt16) {
            ids.withLock { ids in
                ids.append((correlation, job, type))
                if ids.count > 64 { ids.removeFirst() }
            }
        }

        func take() -> (correlation: UInt64, job: UInt64, type: UInt16)? {
            ids.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        }
    }

    /// A received request: header fields and the metadata as parsed JSON.
    struct Request {
        var type: UInt16
        var job: UInt64
        var correlation: UInt64
        var metadata: [String: Any]
        var payload: [[UInt8]]
    }

    private var random: SplitMix64
    /// Per shard: columns and rows (from SHARD_BEGIN), chunks, and the histogram slots (from BIN_CUTS).
    private var columns: [Int: Int] = [:]
    private var rows: [Int: Int] = [:]
    private var chunks: [Int: Int] = [:]
    private var slots: [Int: Int] = [:]

    init(random: SplitMix64) { self.random = random }

    /// Parses one message from the coordinator; `nil` if it is not a well-formed v1 message.
    static func parse(_ frames: [[UInt8]]) -> Request? {
        guard frames.count >= 2, frames[0].count == 32, Array(frames[0].prefix(4)) == Array("TYRD".utf8) else { return nil }
        func integer<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
            frames[0][offset..<offset + MemoryLayout<T>.size].reversed().reduce(T.zero) { $0 << 8 | T($1) }
        }
        let metadata = frames[1].isEmpty ? [:] : (try? JSONSerialization.jsonObject(with: Data(frames[1]))) as? [String: Any]
        return Request(type: integer(UInt16.self, at: 6), job: integer(UInt64.self, at: 16), correlation: integer(UInt64.self, at: 24),
                       metadata: metadata ?? [:], payload: Array(frames.dropFirst(2)))
    }

    /// What to send in answer to `request` (possibly nothing, possibly several messages);
    /// `stolen` collects correlation ids for other peers to answer with.
    mutating func answer(_ request: Request, stolen: Stolen) -> [FuzzFrames.Frames] {
        guard let type = MessageType(rawValue: request.type), let plausible = plausibleReply(to: request, type: type) else {
            return []
        }
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case ..<62: return [plausible]
        case ..<68: return [plausible, plausible]
        case ..<73:  // the reply type of another request
            var frames = plausible
            let replies: [MessageType] = [.shardAck, .sketchReply, .jobAccept, .gradientReply, .histogramReply, .splitReply, .treeGrown]
            FuzzFrames.overwrite(replies.randomElement(using: &random)!.rawValue, in: &frames[0], at: 6)
            return [frames]
        case ..<79: return [FuzzFrames.mutate(plausible, &random, allowLarge: false)]
        case ..<83:
            let code = ["unknown_shard", "checksum_mismatch", "unexpected_message", "unsupported_message"].randomElement(using: &random)!
            return [FuzzFrames.message(.error, "\"code\":\"\(code)\",\"message\":\"fuzz\"", job: request.job, correlation: request.correlation)]
        case ..<87:  // a correlation id one off, or none
            var frames = plausible
            let correlation = [request.correlation &+ 1, request.correlation &- 1, 0].randomElement(using: &random)!
            FuzzFrames.overwrite(correlation, in: &frames[0], at: 24)
            return [frames]
        case ..<90: return []  // silence: the request times out
        case ..<94:
            stolen.put(request.correlation, job: request.job, type: request.type)
            return []
        default: return [absurd(plausible)]
        }
    }

    /// A reply to a stolen request: as plausible as this peer can make it without the request.
    mutating func answer(stolen: (correlation: UInt64, job: UInt64, type: UInt16)) -> FuzzFrames.Frames {
        let request = Request(type: stolen.type, job: stolen.job, correlation: stolen.correlation, metadata: ["shard": 0], payload: [])
        guard let type = MessageType(rawValue: stolen.type), let reply = plausibleReply(to: request, type: type) else {
            return FuzzFrames.message(.jobAccept, "\"shard\":0", job: stolen.job, correlation: stolen.correlation)
        }
        return reply
    }

    /// `frames` with every payload integer 2^62 and every float NaN: well-formed, impossible.
    private mutating func absurd(_ frames: FuzzFrames.Frames) -> FuzzFrames.Frames {
        var frames = frames
        for index in frames.indices.dropFirst(2) {
            let count = frames[index].count / 8
            frames[index] = random.chance(0.5) ? FuzzFrames.packed([Int64](repeating: 1 << 62, count: count)) + frames[index].suffix(frames[index].count % 8)
                : FuzzFrames.packed([Float](repeating: .nan, count: frames[index].count / 4)) + frames[index].suffix(frames[index].count % 4)
        }
        if frames.count == 2, frames[1].count > 2 {
            frames[1] = Array(String(decoding: frames[1], as: UTF8.self)
                .replacingOccurrences(of: "1.5", with: "1e308").replacingOccurrences(of: "\"hessian\":1", with: "\"hessian\":-1").utf8)
        }
        return frames
    }

    private func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }

    /// The reply a minimal honest worker would send to `request`; `nil` for messages that need none.
    mutating func plausibleReply(to request: Request) -> FuzzFrames.Frames? {
        MessageType(rawValue: request.type).flatMap { plausibleReply(to: request, type: $0) }
    }

    /// The reply a minimal honest worker would send, from what this peer knows of the shard;
    /// `nil` for messages that need no reply.
    private mutating func plausibleReply(to request: Request, type: MessageType) -> FuzzFrames.Frames? {
        let metadata = request.metadata
        let shard = int(metadata["shard"]) ?? int((metadata["shard"] as? [String: Any])?["index"]) ?? 0
        func reply(_ type: MessageType, _ fields: String, payload: [FuzzFrames.PayloadFrame] = []) -> FuzzFrames.Frames {
            FuzzFrames.message(type, fields, payload: payload, job: request.job, correlation: request.correlation)
        }
        switch type {
        case .shardBegin:
            let descriptor = metadata["shard"] as? [String: Any] ?? [:]
            columns[shard] = int(descriptor["columns"]) ?? 1
            rows[shard] = int(descriptor["rows"]) ?? 1
            chunks[shard] = int(metadata["chunks"]) ?? 1
            return reply(.shardAck, "\"shard\":\(shard),\"chunk\":-1")
        case .shardChunk:
            return reply(.shardAck, "\"shard\":\(shard),\"chunk\":\(int(metadata["chunk"]) ?? 0)")
        case .shardEnd:
            return reply(.shardAck, "\"shard\":\(shard),\"chunk\":\(chunks[shard] ?? 1)")
        case .sketchRequest:
            // One sample per feature, inside every feature's range a real worker could see.
            let features = columns[shard] ?? 1
            return reply(.sketchReply, "\"shard\":\(shard)",
                         payload: [.i64([Int64](repeating: 1, count: features)), .f32([Float](repeating: 0.5, count: features))])
        case .binCuts:
            if let counts = request.payload.first, counts.count % 8 == 0 {
                let cuts = stride(from: 0, to: counts.count, by: 8).map { offset in
                    counts[offset..<offset + 8].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
                }
                slots[shard] = cuts.reduce(0) { $0 + Int(clamping: $1) + 1 }
            }
            return reply(.jobAccept, "\"shard\":\(shard)")
        case .checkpoint, .treeFinish:
            return reply(.jobAccept, "\"shard\":\(shard)")
        case .gradientRequest:
            if metadata["group"] == nil {  // linear: loss, gradient, bias
                return reply(.gradientReply, "\"shard\":\(shard)", payload: [.f64([Double](repeating: 0, count: 2 + (columns[shard] ?? 1)))])
            }
            return reply(.gradientReply, "\"shard\":\(shard),\"gradient\":1.5,\"hessian\":1")
        case .histogramRequest:
            let nodes = (metadata["nodes"] as? [Any])?.count ?? 1
            return reply(.histogramReply, "\"shard\":\(shard)", payload: [.i64([Int64](repeating: 0, count: 2 * nodes * (slots[shard] ?? 1)))])
        case .splitDecision:
            let splits = (metadata["splits"] as? [Any])?.count ?? 0
            // Every row goes left: the counts add up to the shard's rows.
            let counts = (0..<splits).flatMap { _ -> [Int64] in [Int64(rows[shard] ?? 0), 0] }
            var payload: [FuzzFrames.PayloadFrame] = [.i64(counts)]
            if metadata["histograms"] as? Bool == true {
                payload.append(.i64([Int64](repeating: 0, count: 2 * splits * (slots[shard] ?? 1))))
            }
            return reply(.splitReply, "\"shard\":\(shard)", payload: payload)
        case .treeGrow:
            if random.chance(0.3) {
                return reply(.error, "\"code\":\"unsupported_message\",\"message\":\"this fake grows no trees\"")
            }
            let tree = random.chance(0.5) ? FuzzFrames.leafTree
                : random.chance(0.5) ? FuzzFrames.stump : FuzzFrames.brokenTrees.randomElement(using: &random)!
            return reply(.treeGrown, "\"shard\":\(shard),\"tree\":" + tree)
        default:
            return nil  // JOB_ABORT, heartbeats, welcomes, errors
        }
    }
}

extension FuzzFrames {
    /// Overwrites the little-endian `value` at `offset` of a header, if it is long enough.
    static func overwrite<T: FixedWidthInteger>(_ value: T, in header: inout [UInt8], at offset: Int) {
        guard header.count >= offset + MemoryLayout<T>.size else { return }
        var bytes: [UInt8] = []
        append(value, to: &bytes)
        header.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    }
}
