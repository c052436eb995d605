import TrainyardProtocol

/// One request the coordinator sends a shard's worker and the reply it expects, defined once
/// for both sides (docs/PROTOCOL.md §6.2): the two message types and the metadata bodies.
/// Payload frames travel beside the bodies; what they must hold depends on the shard (its rows,
/// the histogram layout), so the caller checks them.
///
/// The coordinator sends a call with `ClusterLink.call` / `send` and decodes the reply with
/// ``decodeReply(_:)``; the worker answers every call through one handler table
/// (`ShardExecutor`), and ``ShardCalls`` lists them all.
public protocol ShardCall {
    associatedtype Request: Codable & Sendable
    associatedtype ReplyBody: Codable & Sendable
    static var requestType: MessageType { get }
    static var replyType: MessageType { get }
}

/// A reply's decoded metadata and its payload frames.
public struct ShardReply<Body: Sendable>: Sendable {
    public var body: Body
    public var payload: [Payload]

    public init(body: Body, payload: [Payload]) {
        self.body = body
        self.payload = payload
    }
}

/// Why a message is not the request or reply a call expects.
public struct ShardCallError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

extension ShardCall {
    /// The request as a message.
    public static func message(_ request: Request, payload: [Payload] = []) -> Message {
        .encoding(requestType, request, payload: payload)
    }

    /// The reply as a message.
    public static func reply(_ body: ReplyBody, payload: [Payload] = []) -> Message {
        .encoding(replyType, body, payload: payload)
    }

    /// The request's body; throws ``TrainyardProtocol/ProtocolError`` naming the field when it
    /// does not decode.
    public static func decodeRequest(_ message: Message) throws -> Request {
        try message.decodeBody(Request.self)
    }

    /// The reply's body and frames; throws when the message is of another type or its body
    /// does not decode (the coordinator reports it naming the worker).
    public static func decodeReply(_ message: Message) throws(ShardCallError) -> ShardReply<ReplyBody> {
        guard message.type == replyType else {
            throw ShardCallError("\(message.type) in answer to \(requestType)")
        }
        do {
            return ShardReply(body: try message.decodeBody(ReplyBody.self), payload: message.payload)
        } catch {
            throw ShardCallError("\(replyType) in answer to \(requestType) does not decode: \(error)")
        }
    }
}

/// Every shard call, by name. JOB_ABORT is a notification (no reply), not a call.
public enum ShardCalls {
    /// SHARD_BEGIN → SHARD_ACK {`chunk`: −1, or `chunks` when a kept shard is reused}.
    public enum Begin: ShardCall {
        public static let requestType = MessageType.shardBegin, replyType = MessageType.shardAck
        public typealias Request = ShardBegin
        public typealias ReplyBody = ShardAck
    }

    /// SHARD_CHUNK (+ one `u8` frame) → SHARD_ACK.
    public enum Chunk: ShardCall {
        public static let requestType = MessageType.shardChunk, replyType = MessageType.shardAck
        public typealias Request = ShardChunk
        public typealias ReplyBody = ShardAck
    }

    /// SHARD_END → SHARD_ACK {`chunk`: `chunks`}.
    public enum End: ShardCall {
        public static let requestType = MessageType.shardEnd, replyType = MessageType.shardAck
        public typealias Request = ShardRef
        public typealias ReplyBody = ShardAck
    }

    /// SKETCH_REQUEST → SKETCH_REPLY (+ the feature samples: i64 counts, f32 values).
    public enum Sketch: ShardCall {
        public static let requestType = MessageType.sketchRequest, replyType = MessageType.sketchReply
        public typealias Request = ShardRef
        public typealias ReplyBody = ShardRef
    }

    /// BIN_CUTS (+ the cuts: i64 counts, f32 values) → JOB_ACCEPT.
    public enum Cuts: ShardCall {
        public static let requestType = MessageType.binCuts, replyType = MessageType.jobAccept
        public typealias Request = BinCuts
        public typealias ReplyBody = ShardRef
    }

    /// CHECKPOINT → JOB_ACCEPT.
    public enum Checkpoint: ShardCall {
        public static let requestType = MessageType.checkpoint, replyType = MessageType.jobAccept
        public typealias Request = CheckpointReplay
        public typealias ReplyBody = ShardRef
    }

    /// GRADIENT_REQUEST → GRADIENT_REPLY: a tree's gradient maxima, or (with `objective` and an
    /// f64 frame of parameters) a linear model's loss and gradient as one f64 frame.
    public enum Gradient: ShardCall {
        public static let requestType = MessageType.gradientRequest, replyType = MessageType.gradientReply
        public typealias Request = GradientRequest
        public typealias ReplyBody = GradientMaxima
    }

    /// HISTOGRAM_REQUEST → HISTOGRAM_REPLY (+ one i64 frame of histograms).
    public enum Histogram: ShardCall {
        public static let requestType = MessageType.histogramRequest, replyType = MessageType.histogramReply
        public typealias Request = HistogramRequest
        public typealias ReplyBody = ShardRef
    }

    /// SPLIT_DECISION → SPLIT_REPLY (+ i64 row counts, and the left children's histograms when asked).
    public enum Split: ShardCall {
        public static let requestType = MessageType.splitDecision, replyType = MessageType.splitReply
        public typealias Request = SplitDecision
        public typealias ReplyBody = ShardRef
    }

    /// TREE_FINISH → JOB_ACCEPT.
    public enum Finish: ShardCall {
        public static let requestType = MessageType.treeFinish, replyType = MessageType.jobAccept
        public typealias Request = TreeFinish
        public typealias ReplyBody = ShardRef
    }

    /// TREE_GROW → TREE_GROWN.
    public enum Grow: ShardCall {
        public static let requestType = MessageType.treeGrow, replyType = MessageType.treeGrown
        public typealias Request = TreeGrow
        public typealias ReplyBody = TreeGrown
    }

    /// Every call, in protocol order.
    public static let all: [any ShardCall.Type] = [Begin.self, Chunk.self, End.self, Sketch.self, Cuts.self, Checkpoint.self,
                                                   Gradient.self, Histogram.self, Split.self, Finish.self, Grow.self, Predict.self]
    /// The types a worker answers (and JOB_ABORT, which it obeys without a reply).
    public static let requestTypes: Set<MessageType> = Set(all.map { $0.requestType }).union([.jobAbort])
    /// The types a coordinator waits for from workers.
    public static let replyTypes: Set<MessageType> = Set(all.map { $0.replyType })
    /// Every training type (§6.1–6.2): what a worker hands its executor, which answers a reply
    /// type sent the wrong way with `unexpected_message`.
    public static let trainingTypes: Set<MessageType> = requestTypes.union(replyTypes)
}
