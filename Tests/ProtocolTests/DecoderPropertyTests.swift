import Testing
import TrainyardProtocol
import ZeroMQ

/// The decoder meets arbitrary bytes: it must return a typed error or a message, never trap.
struct DecoderPropertyTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomFramesNeverCrashTheDecoder(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var decodedCount = 0
        for _ in 0..<2_000 {
            let frameCount = Int.random(in: 0...4, using: &random)
            let frames = (0..<frameCount).map { _ in
                ZMQFrame(bytes: (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            }
            do {
                _ = try WireCodec.decode(frames)
                decodedCount += 1
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
        // Random bytes essentially never carry the magic, so nearly all must be refused.
        #expect(decodedCount == 0)
    }

    @Test(arguments: WireCodecTests.everyMessage)
    func everyTruncationOfAValidMessageIsATypedError(_ message: Message) {
        let frames = WireCodec.encode(Envelope(message, correlationID: 5))
        // Drop trailing frames.
        for keep in 0..<frames.count {
            #expect(throws: ProtocolError.self) { try WireCodec.decode(Array(frames.prefix(keep))) }
        }
        // Cut the header at every length.
        for cut in 0..<Header.size {
            var truncated = frames
            truncated[0] = ZMQFrame(bytes: frames[0].bytes.prefix(cut))
            #expect(throws: ProtocolError.self) { try WireCodec.decode(truncated) }
        }
        // Cut every payload frame short by one byte.
        for index in frames.indices.dropFirst(2) where frames[index].count > 0 {
            var truncated = frames
            truncated[index] = ZMQFrame(bytes: frames[index].bytes.dropLast())
            #expect(throws: ProtocolError.self) { try WireCodec.decode(truncated) }
        }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func mutatedValidMessagesDecodeOrFailCleanly(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let messages = WireCodecTests.everyMessage
        for _ in 0..<3_000 {
            var frames = WireCodec.encode(Envelope(messages.randomElement(using: &random)!))
            let index = Int.random(in: 0..<frames.count, using: &random)
            var bytes = frames[index].bytes
            if bytes.isEmpty { continue }
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            frames[index] = ZMQFrame(bytes: bytes)
            do {
                let decoded = try WireCodec.decode(frames)
                // Whatever decoded must encode again to a decodable message.
                _ = try WireCodec.decode(WireCodec.encode(decoded))
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }
}
