import Foundation
@testable import Serving
import Testing

/// The journal's record codec: every record round-trips, and no byte string — truncated, extended or random — is
/// taken for a record it is not, or crashes the reader.
struct RecordCodecTests {
    func randomRecord(_ random: inout SystemRandomNumberGenerator) -> PredictionRecord {
        func text() -> String { String((0..<Int.random(in: 0..<40, using: &random)).map { _ in "aé\"\n{}0ü😀,".randomElement(using: &random)! }) }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &random) ? value() : nil }
        return PredictionRecord(requestID: text(), time: Double.random(in: 0...2e9, using: &random), model: maybe(text()),
                                version: maybe(Int.random(in: -5...1_000_000, using: &random)), endpoint: text(),
                                status: Int.random(in: 100...599, using: &random), latencyMicroseconds: Int.random(in: 0...Int(Int32.max), using: &random),
                                rows: Int.random(in: 0...100_000, using: &random), inputsSHA256: text(), output: maybe(text()), error: maybe(text()),
                                inputs: maybe(text()),
                                unseenCategories: maybe(Dictionary(uniqueKeysWithValues: (0..<Int.random(in: 0...4, using: &random)).map { ("f\($0)", $0 * 7) })))
    }

    @Test func recordsRoundTripAndDamagedBytesAreRefused() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let record = randomRecord(&random)
            let bytes = RecordCodec.encode(record)
            #expect(RecordCodec.decode(bytes[...]) == record)
            if !bytes.isEmpty {
                #expect(RecordCodec.decode(bytes.dropLast()) == nil, "a truncated record is not a record")
            }
            #expect(RecordCodec.decode((bytes + [0])[...]) == nil, "trailing bytes are not part of a record")
            var flipped = bytes
            flipped[Int.random(in: 0..<flipped.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            _ = RecordCodec.decode(flipped[...])    // anything but a crash
            let noise = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = RecordCodec.decode(noise[...])
        }
    }
}
