import Foundation
import ZeroMQ

/// Turns ``Envelope``s into frames and back: `[header][metadata JSON][payload frames…]`.
///
/// The metadata frame is a UTF-8 JSON object with the type's fields plus, when there are
/// payload frames, `"payload": [{"dtype": …, "count": …}, …]` describing each in order.
/// A zero-length metadata frame means `{}`. Unknown JSON keys are ignored, so later
/// versions may add optional fields.
public enum WireCodec {
    /// Encodes a message to the frames to send (after a ROUTER's routing-id frame, if any).
    public static func encode(_ envelope: Envelope) -> [ZMQFrame] {
        let message = envelope.message
        let payload = message.payload
        let metadata: [UInt8]
        switch message {
        case .register(let body): metadata = json(body, payload)
        case .welcome(let body): metadata = json(body, payload)
        case .deregister(let body): metadata = json(body, payload)
        case .error(let body): metadata = json(body, payload)
        case .statusReply(let body): metadata = json(body, payload)
        case .heartbeat, .statusRequest, .echoRequest, .echoReply: metadata = json(Empty(), payload)
        case .other(_, let raw, _): metadata = merging(payload, into: raw)
        }
        let header = Header(version: envelope.version, type: message.type,
                            frameCount: UInt32(1 + payload.count),
                            jobID: envelope.jobID, correlationID: envelope.correlationID)
        return [header.encode(), ZMQFrame(bytes: metadata)] + payload.map(\.frame)
    }

    /// Decodes frames (without a routing-id frame) into an envelope, validating every field.
    public static func decode(_ frames: ArraySlice<ZMQFrame>) throws(ProtocolError) -> Envelope {
        guard let headerFrame = frames.first else { throw .missingHeader }
        let header = try Header.decode(headerFrame)
        let rest = frames.dropFirst()
        guard Int(header.frameCount) == rest.count else {
            throw .frameCountMismatch(declared: header.frameCount, actual: rest.count)
        }
        guard let metadataFrame = rest.first else {
            throw .badMetadata(header.type, "the metadata frame is missing")
        }
        let metadata = metadataFrame.withUnsafeBytes { $0.isEmpty ? Array("{}".utf8) : Array($0) }
        // JSONDecoder skips over invalid UTF-8 in values it does not read, but the metadata is kept and may be
        // encoded again, which needs valid JSON text.
        guard String(validating: metadata, as: UTF8.self) != nil else {
            throw .badMetadata(header.type, "the metadata frame is not UTF-8")
        }
        let descriptors = try decodeJSON(PayloadList.self, metadata, header.type).payload ?? []
        let payloadFrames = Array(rest.dropFirst())
        guard descriptors.count == payloadFrames.count else {
            throw .badMetadata(header.type, "metadata describes \(descriptors.count) payload frames but \(payloadFrames.count) arrived")
        }
        var payload: [Payload] = []
        payload.reserveCapacity(descriptors.count)
        for (index, (descriptor, frame)) in zip(descriptors, payloadFrames).enumerated() {
            let (expected, overflow) = descriptor.count.multipliedReportingOverflow(by: descriptor.dtype.size)
            guard descriptor.count >= 0, !overflow, expected == frame.count else {
                throw .payloadSize(index: index, expected: overflow ? -1 : expected, actual: frame.count)
            }
            payload.append(Payload(dtype: descriptor.dtype, frame: frame))
        }

        let message: Message
        switch header.type {
        case .register: message = .register(try decodeJSON(Register.self, metadata, header.type))
        case .welcome: message = .welcome(try decodeJSON(Welcome.self, metadata, header.type))
        case .heartbeat: message = .heartbeat
        case .deregister: message = .deregister(try decodeJSON(Deregister.self, metadata, header.type))
        case .error: message = .error(try decodeJSON(ErrorReply.self, metadata, header.type))
        case .statusRequest: message = .statusRequest
        case .statusReply: message = .statusReply(try decodeJSON(ClusterStatus.self, metadata, header.type))
        case .echoRequest: message = .echoRequest(payload)
        case .echoReply: message = .echoReply(payload)
        default: message = .other(header.type, metadata: metadata, payload: payload)
        }
        return Envelope(message, jobID: header.jobID, correlationID: header.correlationID, version: header.version)
    }

    /// Convenience for whole messages received on a DEALER (no routing frame).
    public static func decode(_ frames: [ZMQFrame]) throws(ProtocolError) -> Envelope {
        try decode(frames[...])
    }

    private struct Empty: Encodable {}

    private struct PayloadList: Decodable {
        var payload: [PayloadDescriptor]?
    }

    /// The body's fields with `payload` added alongside them in the same JSON object.
    private struct Flat<Body: Encodable>: Encodable {
        let body: Body
        let payload: [PayloadDescriptor]

        enum Keys: String, CodingKey { case payload }

        func encode(to encoder: any Encoder) throws {
            try body.encode(to: encoder)
            if !payload.isEmpty {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(payload, forKey: .payload)
            }
        }
    }

    static func json(_ body: some Encodable, _ payload: [Payload]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(Flat(body: body, payload: payload.map(\.descriptor))))
        } catch {
            preconditionFailure("metadata of plain Codable structs always encodes: \(error)")
        }
    }

    /// Raw metadata with its `payload` key set to describe `payload` (removed when empty).
    ///
    /// Metadata written by ``Message/encoding(_:_:payload:)`` has no `payload` key: the
    /// descriptors are then appended to the object as they are, without parsing it (a job's
    /// per-level messages carry whole trees; re-serializing them cost the coordinator a third of
    /// its time). Anything else takes the general path: parse, set the key, re-serialize.
    private static func merging(_ payload: [Payload], into raw: [UInt8]) -> [UInt8] {
        if let appended = appending(payload, to: raw) { return appended }
        let parsed = raw.isEmpty ? [:] : (try? JSONSerialization.jsonObject(with: Data(raw))) as? [String: Any]
        guard var object = parsed else {
            preconditionFailure("reserved-type metadata must be a JSON object: \(String(decoding: raw, as: UTF8.self))")
        }
        object["payload"] = payload.isEmpty ? nil : payload.map { ["dtype": $0.dtype.rawValue, "count": $0.count] }
        do {
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        } catch {
            preconditionFailure("re-encoding parsed JSON cannot fail: \(error)")
        }
    }

    /// `raw` (a JSON object without a `payload` key anywhere in it) with `"payload": [...]`
    /// added before its closing brace; nil when `raw` does not look like that.
    private static func appending(_ payload: [Payload], to raw: [UInt8]) -> [UInt8]? {
        let key = Array(#""payload""#.utf8)
        guard !raw.isEmpty else { return payload.isEmpty ? raw : Array((#"{"payload":"# + descriptors(payload) + "}").utf8) }
        guard raw.firstRange(of: key) == nil,
              let close = raw.lastIndex(where: { !isWhitespace($0) }), raw[close] == UInt8(ascii: "}"),
              let open = raw.firstIndex(where: { !isWhitespace($0) }), raw[open] == UInt8(ascii: "{"), open < close else { return nil }
        if payload.isEmpty { return raw }
        let empty = raw[(open + 1)..<close].allSatisfy(isWhitespace)
        var out = Array(raw[..<close])
        out += Array(((empty ? "" : ",") + #""payload":"# + descriptors(payload) + "}").utf8)
        return out
    }

    /// `[{"count":N,"dtype":"f32"},…]`, as the general path writes them.
    private static func descriptors(_ payload: [Payload]) -> String {
        "[" + payload.map { #"{"count":\#($0.count),"dtype":"\#($0.dtype.rawValue)"}"# }.joined(separator: ",") + "]"
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    static func decodeJSON<T: Decodable>(_: T.Type, _ bytes: [UInt8], _ type: MessageType) throws(ProtocolError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .badMetadata(type, describe(error))
        } catch {
            throw .badMetadata(type, "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'"
        case .typeMismatch(let type, let context): return "field '\(path(context))' is not a \(type)"
        case .valueNotFound(let type, let context): return "field '\(path(context))' is null, expected \(type)"
        case .dataCorrupted(let context):
            let where_ = path(context)
            return where_.isEmpty ? "not a JSON object" : "field '\(where_)' has an invalid value"
        @unknown default: return "\(error)"
        }
    }
}
