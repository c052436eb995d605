import Foundation
import TrainyardML
import TrainyardProtocol
import ZeroMQ

/// Raw protocol v1 messages for fuzzing a coordinator, built byte by byte from docs/PROTOCOL.md
/// rather than through ``WireCodec`` (which cannot write a wrong version, an unknown type or a
/// frame count that lies), and the mutations applied to them.
///
/// A message is its frames as byte arrays (no routing id: the fake peers are DEALERs).
enum FuzzFrames {
    typealias Frames = [[UInt8]]

    /// A header with every field given (§3), little-endian.
    static func header(version: UInt16 = ProtocolVersion.current, type: UInt16, flags: UInt32 = 0, frameCount: UInt32,
                       job: UInt64 = 0, correlation: UInt64 = 0) -> [UInt8] {
        var bytes = Array("TYRD".utf8)
        append(version, to: &bytes)
        append(type, to: &bytes)
        append(flags, to: &bytes)
        append(frameCount, to: &bytes)
        append(job, to: &bytes)
        append(correlation, to: &bytes)
        return bytes
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// The packed little-endian bytes of `values` (a payload frame, §5).
    static func packed<T: BitwiseCopyable>(_ values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// One payload frame and the dtype and count its descriptor states.
    struct PayloadFrame {
        var dtype: String
        var count: Int
        var bytes: [UInt8]

        static func i64(_ values: [Int64]) -> PayloadFrame { PayloadFrame(dtype: "i64", count: values.count, bytes: packed(values)) }
        static func f32(_ values: [Float]) -> PayloadFrame { PayloadFrame(dtype: "f32", count: values.count, bytes: packed(values)) }
        static func f64(_ values: [Double]) -> PayloadFrame { PayloadFrame(dtype: "f64", count: values.count, bytes: packed(values)) }
        static func u8(_ values: [UInt8]) -> PayloadFrame { PayloadFrame(dtype: "u8", count: values.count, bytes: values) }
    }

    /// A well-formed message: `fields` are the members of the metadata object (without braces),
    /// to which the payload descriptors are added.
    static func message(_ type: MessageType, _ fields: String = "", payload: [PayloadFrame] = [],
                        job: UInt64 = 0, correlation: UInt64 = 0) -> Frames {
        var members = fields.isEmpty ? [] : [fields]
        if !payload.isEmpty {
            members.append("\"payload\":[" + payload.map { "{\"dtype\":\"\($0.dtype)\",\"count\":\($0.count)}" }.joined(separator: ",") + "]")
        }
        let metadata = Array(("{" + members.joined(separator: ",") + "}").utf8)
        return [header(type: type.rawValue, frameCount: UInt32(1 + payload.count), job: job, correlation: correlation), metadata]
            + payload.map(\.bytes)
    }

    /// A JSON string literal of `text` (quotes and escapes included).
    static func quoted(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// The pid every fake peer registers with, which tells its rows in the status from real workers'.
    static let fakePID: Int32 = 4242

    static func register(_ id: String, host: String = "fuzz-host", cores: Int = 1, correlation: UInt64) -> Frames {
        message(.register, "\"workerID\":\(quoted(id)),\"host\":\(quoted(host)),\"cores\":\(cores),\"memoryBytes\":1048576,"
                + "\"pid\":\(fakePID),\"software\":\"peer-fuzz 1\"", correlation: correlation)
    }

    /// A tree of one leaf, as a `TREE_GROWN` or `CHECKPOINT` carries trees (parallel arrays, §6.2).
    static let leafTree = "{\"left\":[-1],\"right\":[-1],\"parent\":[-1],\"feature\":[0],\"threshold\":[0],\"splitBin\":[0],"
        + "\"defaultLeft\":[false],\"value\":[0.0],\"baseWeight\":[0.0],\"lossChange\":[0.0],\"sumHessian\":[1.0]}"

    /// A stump on feature 0 (nodes 0, 1, 2), and variants a worker must not get away with:
    /// children out of range or before their parent, a cycle, arrays of different lengths, a
    /// feature or bin beyond the data, a threshold beyond `Float`, a negative hessian sum.
    static let stump = "{\"left\":[1,-1,-1],\"right\":[2,-1,-1],\"parent\":[-1,0,0],\"feature\":[0,0,0],\"threshold\":[0.5,0,0],"
        + "\"splitBin\":[0,0,0],\"defaultLeft\":[true,false,false],\"value\":[0,0.1,-0.1],\"baseWeight\":[0,0.1,-0.1],"
        + "\"lossChange\":[1,0,0],\"sumHessian\":[2,1,1]}"
    static let brokenTrees: [String] = [
        stump.replacingOccurrences(of: "\"left\":[1,-1,-1]", with: "\"left\":[7,-1,-1]"),
        stump.replacingOccurrences(of: "\"left\":[1,-1,-1]", with: "\"left\":[0,-1,-1]"),
        stump.replacingOccurrences(of: "\"parent\":[-1,0,0]", with: "\"parent\":[2,0,0]"),
        stump.replacingOccurrences(of: "\"right\":[2,-1,-1]", with: "\"right\":[1,-1,-1]"),
        stump.replacingOccurrences(of: "\"value\":[0,0.1,-0.1]", with: "\"value\":[0,0.1]"),
        stump.replacingOccurrences(of: "\"feature\":[0,0,0]", with: "\"feature\":[100000,0,0]"),
        stump.replacingOccurrences(of: "\"feature\":[0,0,0]", with: "\"feature\":[-3,0,0]"),
        stump.replacingOccurrences(of: "\"splitBin\":[0,0,0]", with: "\"splitBin\":[2147483647,0,0]"),
        stump.replacingOccurrences(of: "\"splitBin\":[0,0,0]", with: "\"splitBin\":[-1,0,0]"),
        stump.replacingOccurrences(of: "\"threshold\":[0.5,0,0]", with: "\"threshold\":[1e39,0,0]"),
        stump.replacingOccurrences(of: "\"sumHessian\":[2,1,1]", with: "\"sumHessian\":[2,-1,1]"),
        stump.replacingOccurrences(of: "\"value\":[0,0.1,-0.1]", with: "\"value\":[0,1e308,-0.1]"),
        "{}", "[]", "{\"left\":[]}",
    ]

    // MARK: mutations

    /// Header versions other than 1: too old, the next one, byte-swapped, the largest.
    static let wrongVersions: [UInt16] = [0, 2, 3, 0x0100, 0xFFFF]
    /// Type numbers that are not defined in v1, at the edges of its ranges.
    static let undefinedTypes: [UInt16] = [0x0000, 0x000A, 0x00FF, 0x0100, 0x0105, 0x0200, 0x0211, 0x0300, 0x030B, 0x0404,
                                           0x0503, 0x0601, 0x7FFF, 0x8001, 0xFFFF]
    /// Metadata frames that are not a JSON object of the right shape.
    static let junkMetadata: [[UInt8]] = [
        [], Array("null".utf8), Array("[]".utf8), Array("\"x\"".utf8), Array("{".utf8), Array("}".utf8), Array("{}}".utf8),
        Array("{\"payload\":null}".utf8), Array("{\"payload\":{}}".utf8), Array("{\"payload\":[{}]}".utf8),
        Array("{\"payload\":[{\"dtype\":\"f16\",\"count\":1}]}".utf8),
        Array("{\"payload\":[{\"dtype\":\"f32\",\"count\":-1}]}".utf8),
        Array("{\"payload\":[{\"dtype\":\"i64\",\"count\":9223372036854775807}]}".utf8),
        Array("{\"payload\":[{\"dtype\":\"u8\",\"count\":1e300}]}".utf8),
        Array("{\"workerID\":null,\"cores\":\"many\"}".utf8),
        Array("{\"shard\":-1,\"chunk\":9223372036854775808}".utf8),
        Array("{\"shard\":1e999,\"id\":-5,\"historyFrom\":-9223372036854775808}".utf8),
        Array("{\"id\":18446744073709551615}".utf8),
        [0xFF, 0xFE, 0x7B, 0x7D], [0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x3A, 0x31, 0x7D], [0xEF, 0xBB, 0xBF, 0x7B, 0x7D],
        Array("{\"a\":\"\\ud800\"}".utf8), Array("{\"a\":1,\"a\":2}".utf8), Array("{\"a\":\u{0}}".utf8),
    ]

    /// `depth` nested arrays in an object: stresses a JSON parser's recursion.
    static func deeplyNested(_ depth: Int) -> [UInt8] {
        Array(("{\"n\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
    }

    /// `frames` with its metadata object padded to `size` bytes in all by a `pad` member: one
    /// long string, or (`numbers`) an array of small numbers, which costs a JSON parser far more per byte.
    static func padded(_ frames: Frames, to size: Int, numbers: Bool = false) -> Frames {
        guard frames.count >= 2 else { return frames }
        var frames = frames
        let metadata = frames[1]
        let body = metadata.count >= 2 && metadata.first == UInt8(ascii: "{") && metadata.last == UInt8(ascii: "}")
            ? Array(metadata.dropFirst().dropLast()) : []
        let prefix = Array((numbers ? "{\"pad\":[" : "{\"pad\":\"").utf8)
        let close = numbers ? "0]" : "\""
        let suffix = Array((body.isEmpty ? close + "}" : close + ",").utf8) + body + (body.isEmpty ? [] : Array("}".utf8))
        let fill = max(0, size - prefix.count - suffix.count)
        // `1,1,…` may end on either byte: `…,1` + `0]` is the number 10, `…1,` + `0]` a last 0.
        frames[1] = prefix + filled(numbers ? Array("1,".utf8) : Array("x".utf8), count: fill) + suffix
        return frames
    }

    /// `count` bytes of `pattern` repeated, made with a few `memcpy`s (megabytes of padding
    /// byte by byte would take the peers' threads, in a debug build, most of a core).
    static func filled(_ pattern: [UInt8], count: Int) -> [UInt8] {
        guard count > 0, let first = pattern.first else { return [] }
        var bytes = [UInt8](repeating: first, count: count)
        guard pattern.count > 1 else { return bytes }
        bytes.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!
            var done = min(pattern.count, count)
            pattern.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: done) }
            while done < count {
                let chunk = min(done, count - done)
                (base + done).copyMemory(from: base, byteCount: chunk)
                done += chunk
            }
        }
        return bytes
    }

    /// A frame holding `bytes`, copied in one go.
    static func frame(_ bytes: [UInt8]) -> ZMQFrame {
        ZMQFrame(count: bytes.count) { buffer in
            bytes.withUnsafeBytes { if let source = $0.baseAddress { buffer.baseAddress!.copyMemory(from: source, byteCount: $0.count) } }
        }
    }

    /// One to three random mutations of `frames`: bit flips, truncations, dropped or extra
    /// frames, wrong versions, types and frame counts, junk or oversized metadata, payload
    /// descriptors that lie.
    static func mutate(_ frames: Frames, _ random: inout SplitMix64, allowLarge: Bool) -> Frames {
        var frames = frames
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            frames = mutateOnce(frames, &random, allowLarge: allowLarge)
        }
        return frames.isEmpty ? [[]] : frames
    }

    private static func mutateOnce(_ input: Frames, _ random: inout SplitMix64, allowLarge: Bool) -> Frames {
        var frames = input.isEmpty ? [[]] : input
        func setHeader<T: FixedWidthInteger>(_ value: T, at offset: Int) { overwrite(value, in: &frames[0], at: offset) }
        switch Int.random(in: 0..<16, using: &random) {
        case 0, 1:  // bit flips, mostly in the header
            let index = random.chance(0.6) ? 0 : Int.random(in: 0..<frames.count, using: &random)
            guard !frames[index].isEmpty else { break }
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let byte = Int.random(in: 0..<frames[index].count, using: &random)
                frames[index][byte] ^= 1 << UInt8.random(in: 0...7, using: &random)
            }
        case 2:  // a truncated frame
            let index = Int.random(in: 0..<frames.count, using: &random)
            frames[index] = Array(frames[index].prefix(Int.random(in: 0...max(0, frames[index].count - 1), using: &random)))
        case 3:  // a frame dropped
            if frames.count > 1 { frames.remove(at: Int.random(in: 0..<frames.count, using: &random)) } else { frames = [[]] }
        case 4:  // extra frames, described or not
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                frames.append(random.bytes(Int.random(in: 0...64, using: &random)))
            }
        case 5:  // another version
            setHeader(wrongVersions.randomElement(using: &random)!, at: 4)
        case 6:  // another type: undefined, or a defined one the metadata was not written for
            let type = random.chance(0.5) ? undefinedTypes.randomElement(using: &random)!
                : MessageType.allCases.randomElement(using: &random)!.rawValue
            setHeader(type, at: 6)
        case 7:  // a frame count that lies
            let counts: [UInt32] = [0, 1, 2, 7, 0xFFFF, 0xFFFF_FFFF, UInt32(frames.count)]
            setHeader(counts.randomElement(using: &random)!, at: 12)
        case 8:  // nonzero reserved flags (must be ignored) and random ids
            setHeader(UInt32.random(in: 1...UInt32.max, using: &random), at: 8)
            setHeader(random.next(), at: 16)
        case 9:  // junk metadata
            if frames.count < 2 { frames.append([]) }
            frames[1] = junkMetadata.randomElement(using: &random)!
        case 10:  // a deeply nested metadata object
            if frames.count < 2 { frames.append([]) }
            frames[1] = deeplyNested([16, 600, 5000, 20_000].randomElement(using: &random)!)
        case 11:  // metadata around the control (64 KiB) and job (1 MiB) limits, or far beyond
            var sizes = [WireLimits.controlMetadataBytes - 1, WireLimits.controlMetadataBytes + 1,
                         WireLimits.jobMetadataBytes - 64, WireLimits.jobMetadataBytes + 1]
            if allowLarge { sizes += [4 << 20, 12 << 20] }
            frames = padded(frames.count >= 2 ? frames : frames + [[]], to: sizes.randomElement(using: &random)!, numbers: random.chance(0.5))
        case 12:  // the header too short or too long
            frames[0] = random.chance(0.5) ? Array(frames[0].prefix(Int.random(in: 0..<32, using: &random)))
                : frames[0] + random.bytes(Int.random(in: 1...8, using: &random))
        case 13:  // a payload frame whose length disagrees with its descriptor
            if frames.count > 2 {
                let index = Int.random(in: 2..<frames.count, using: &random)
                frames[index] = random.chance(0.5) ? Array(frames[index].dropLast(Int.random(in: 1...9, using: &random)))
                    : frames[index] + random.bytes(Int.random(in: 1...9, using: &random))
            } else {
                frames.append(random.bytes(Int.random(in: 1...16, using: &random)))
            }
        case 14:  // random bytes in place of a frame
            let index = Int.random(in: 0..<frames.count, using: &random)
            frames[index] = random.bytes(Int.random(in: 0...48, using: &random))
        default:  // frames shuffled
            frames.shuffle(using: &random)
        }
        return frames
    }
}

extension SplitMix64 {
    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }

    /// A generator for stream `stream` of `seed` (peer scripts, their reactions, the test's own choices).
    static func stream(_ seed: UInt64, _ stream: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD6E8_FEB8_6659_FD93))
        return SplitMix64(seed: mixer.next())
    }
}
