import Foundation
import Testing
@testable import TrainyardProtocol
import ZeroMQ

struct WireCodecTests {
    static let register = Register(workerID: "node-1", host: "node", cores: 8, memoryBytes: 1 << 34, pid: 42,
                                   software: "trainyard 0.1.0")
    static let status = ClusterStatus(coordinatorID: "c0ffee", uptimeSeconds: 12.5, workers: [
        WorkerStatus(workerID: "node-1", host: "node", cores: 8, memoryBytes: 1 << 34, pid: 42, state: .alive,
                     lastSeenSecondsAgo: 0.25, registrations: 2),
        WorkerStatus(workerID: "node-2", host: "other", cores: 2, memoryBytes: 1 << 30, pid: 7, state: .dead,
                     lastSeenSecondsAgo: 3.5, registrations: 1),
    ])

    /// One message of every type, reserved ones included (with payload).
    static var everyMessage: [Message] {
        MessageType.allCases.map { type -> Message in
            switch type {
            case .register: .register(register)
            case .welcome: .welcome(Welcome(coordinatorID: "c0ffee", heartbeatIntervalMs: 1000, heartbeatLiveness: 3))
            case .heartbeat: .heartbeat
            case .deregister: .deregister(Deregister(reason: "SIGTERM"))
            case .error: .error(ErrorReply(code: .versionMismatch, message: "speak v1", supportedVersions: [1]))
            case .statusRequest: .statusRequest
            case .statusReply: .statusReply(status)
            case .echoRequest: .echoRequest([.float32([1, 2, 3.5]), .uint8([9, 8])])
            case .echoReply: .echoReply([.float64([-1, 0.5])])
            default: .other(type, metadata: Array(#"{"node":3}"#.utf8),
                               payload: [.float64([1.25, 2.5]), Payload(dtype: .u32, frame: ZMQFrame(bytes: [1, 0, 0, 0]))])
            }
        }
    }

    @Test(arguments: everyMessage)
    func everyMessageTypeRoundTrips(_ message: Message) throws {
        let envelope = Envelope(message, jobID: 77, correlationID: 99)
        let frames = WireCodec.encode(envelope)
        #expect(frames.count == 2 + message.payload.count)
        let decoded = try WireCodec.decode(frames)
        #expect(decoded.jobID == 77)
        #expect(decoded.correlationID == 99)
        #expect(decoded.message.type == message.type)
        #expect(Fingerprint(decoded.message) == Fingerprint(message))
    }

    @Test func payloadFramesAreRawLittleEndianAndDescribedInMetadata() throws {
        let frames = WireCodec.encode(Envelope(.echoRequest([.float32([1.0, -2.0])])))
        #expect(frames[2].bytes == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        let metadata = String(decoding: frames[1].bytes, as: UTF8.self)
        #expect(metadata == #"{"payload":[{"count":2,"dtype":"f32"}]}"#)
    }

    @Test func metadataIsFlatJSONWithTheDocumentedFieldNames() throws {
        let frames = WireCodec.encode(Envelope(.register(Self.register)))
        let object = try JSONSerialization.jsonObject(with: Data(frames[1].bytes)) as? [String: Any]
        #expect(Set(object?.keys ?? [:].keys) == ["workerID", "host", "cores", "memoryBytes", "pid", "software"])
    }

    @Test func aLimitExceededReplyNamesTheFieldAndTheLimitOnTheWire() throws {
        let violation = LimitViolation(field: "host", limit: "≤ 255 bytes", actual: "16777216 bytes")
        let frames = WireCodec.encode(Envelope(.error(ErrorReply(violation)), correlationID: 3))
        let object = try JSONSerialization.jsonObject(with: Data(frames[1].bytes)) as? [String: Any]
        #expect(object?["code"] as? String == "limit_exceeded")
        #expect(object?["field"] as? String == "host")
        #expect(object?["limit"] as? String == "≤ 255 bytes")
        #expect(object?["message"] as? String == "host is out of range: got 16777216 bytes, the limit is ≤ 255 bytes")
        guard case .error(let decoded) = try WireCodec.decode(frames).message else {
            Issue.record("not an error reply")
            return
        }
        #expect(decoded == ErrorReply(violation))
    }

    @Test func metadataBoundsCoverControlAndJobTypesButNotTraining() {
        #expect(WireLimits.metadataBytes(for: .register) == 64 << 10)
        #expect(WireLimits.metadataBytes(for: .statusRequest) == 64 << 10)
        #expect(WireLimits.metadataBytes(for: .jobSubmit) == 1 << 20)
        #expect(WireLimits.metadataBytes(for: .treeGrown) == nil)
        #expect(WireLimits.metadataBytes(for: .shardAck) == nil)
    }

    @Test func payloadDescriptorsAreAddedToBodyMetadata() throws {
        let payload: [Payload] = [.float64([1.25, 2.5]), Payload(dtype: .u32, frame: ZMQFrame(bytes: [1, 0, 0, 0]))]
        let described = #""payload":[{"count":2,"dtype":"f64"},{"count":1,"dtype":"u32"}]"#
        // Metadata without a payload key: the descriptors are appended as they are.
        let appended = WireCodec.encode(Envelope(.other(.histogramRequest, metadata: Array(#"{"node":3}"#.utf8), payload: payload)))
        #expect(String(decoding: appended[1].bytes, as: UTF8.self) == #"{"node":3,"# + described + "}")
        let empty = WireCodec.encode(Envelope(.other(.histogramRequest, metadata: Array(" { } ".utf8), payload: payload)))
        #expect(String(decoding: empty[1].bytes, as: UTF8.self) == " { " + described + "}")
        let none = WireCodec.encode(Envelope(.other(.histogramRequest, metadata: [], payload: payload)))
        #expect(String(decoding: none[1].bytes, as: UTF8.self) == "{" + described + "}")
        let untouched = WireCodec.encode(Envelope(.other(.histogramRequest, metadata: Array(#"{"node":3}"#.utf8), payload: [])))
        #expect(String(decoding: untouched[1].bytes, as: UTF8.self) == #"{"node":3}"#)
        // A stale payload key is replaced (general path), and one that no longer applies removed.
        let stale = Array(#"{"node":3,"payload":[{"count":9,"dtype":"f32"}]}"#.utf8)
        let replaced = WireCodec.encode(Envelope(.other(.histogramRequest, metadata: stale, payload: payload)))
        #expect(String(decoding: replaced[1].bytes, as: UTF8.self) == #"{"node":3,"# + described + "}")
        let removed = WireCodec.encode(Envelope(.other(.histogramRequest, metadata: stale, payload: [])))
        #expect(String(decoding: removed[1].bytes, as: UTF8.self) == #"{"node":3}"#)
        for frames in [appended, empty, none, replaced] {
            #expect(try WireCodec.decode(frames).message.payload.count == 2)
        }
    }

    @Test func emptyMetadataFrameMeansEmptyObject() throws {
        let header = Header(type: .heartbeat, frameCount: 1).encode()
        let decoded = try WireCodec.decode([header, ZMQFrame(bytes: [])])
        #expect(decoded.message.type == .heartbeat)
    }

    /// Found by the wire fuzzer: JSONDecoder skipped the bad bytes, and encoding the message again trapped.
    @Test func metadataThatIsNotUTF8IsRefused() {
        let metadata = Array(#"{"name":"jo"#.utf8) + [0xF0] + Array(#"","trees":3}"#.utf8)
        let frames = [Header(type: .jobSubmit, frameCount: 1).encode(), ZMQFrame(bytes: metadata)]
        #expect(throws: ProtocolError.badMetadata(.jobSubmit, "the metadata frame is not UTF-8")) { try WireCodec.decode(frames) }
    }

    @Test func wrongMetadataNamesTheField() {
        var frames = WireCodec.encode(Envelope(.register(Self.register)))
        frames[1] = ZMQFrame(string: #"{"workerID": 5}"#)
        #expect(throws: ProtocolError.badMetadata(.register, "field 'workerID' is not a String")) {
            try WireCodec.decode(frames)
        }
        frames[1] = ZMQFrame(string: #"{"workerID": "x"}"#)
        #expect(throws: ProtocolError.badMetadata(.register, "missing field 'host'")) { try WireCodec.decode(frames) }
        frames[1] = ZMQFrame(string: "not json")
        #expect(throws: ProtocolError.badMetadata(.register, "not a JSON object")) { try WireCodec.decode(frames) }
    }

    @Test func payloadSizeAndCountMismatchesAreRejected() {
        var frames = WireCodec.encode(Envelope(.echoRequest([.float32([1, 2])])))
        frames[2] = ZMQFrame(bytes: [1, 2, 3])
        #expect(throws: ProtocolError.payloadSize(index: 0, expected: 8, actual: 3)) { try WireCodec.decode(frames) }

        let extra = frames + [ZMQFrame(bytes: [0])]
        #expect(throws: ProtocolError.frameCountMismatch(declared: 2, actual: 3)) { try WireCodec.decode(extra) }

        var huge = WireCodec.encode(Envelope(.echoRequest([.float32([1])])))
        huge[1] = ZMQFrame(string: #"{"payload":[{"dtype":"f64","count":4611686018427387904}]}"#)
        #expect(throws: ProtocolError.payloadSize(index: 0, expected: -1, actual: 4)) { try WireCodec.decode(huge) }
    }

    @Test func payloadIsSharedNotCopied() throws {
        let values = (0..<1024).map(Float.init)
        let frames = WireCodec.encode(Envelope(.echoRequest([.float32(values)])))
        let decoded = try WireCodec.decode(frames)
        #expect(decoded.message.payload[0].values(as: Float.self) == values)
        #expect(decoded.message.payload[0].frame === frames[2])
    }
}

/// A comparable summary of a message: type, metadata JSON and payload bytes.
struct Fingerprint: Equatable {
    let type: MessageType
    let metadata: [UInt8]
    let payload: [[UInt8]]
    let dtypes: [DType]

    init(_ message: Message) {
        let frames = WireCodec.encode(Envelope(message))
        type = message.type
        metadata = frames[1].bytes
        payload = frames.dropFirst(2).map(\.bytes)
        dtypes = message.payload.map(\.dtype)
    }
}
