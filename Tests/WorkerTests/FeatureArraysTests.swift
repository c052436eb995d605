import DistributedTraining
import Testing
import TrainyardProtocol
import ZeroMQ

/// Per-feature float arrays on the wire: lengths from a peer never trap, however they lie.
struct FeatureArraysTests {
    @Test func arraysRoundTripAndLyingLengthsAreRefused() {
        let arrays: [[Float]] = [[1, 2, 3], [], [4.5]]
        #expect(FeatureArrays.arrays(FeatureArrays.payload(arrays)) == arrays)
        let values = Payload.float32([1, 2, 3, 4])
        for lengths: [Int64] in [[Int64.max, Int64.max, 2], [1 << 62, 1 << 62, 1 << 62, 1 << 62, 4], [-1, 5], [2, 3], [5]] {
            let payload = [Payload(dtype: .i64, frame: ZMQFrame(adopting: lengths)), values]
            #expect(FeatureArrays.arrays(payload) == nil, "\(lengths)")
        }
    }
}
