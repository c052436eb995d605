import TrainyardProtocol
import ZeroMQ

/// One float array per feature (quantile samples, bin cuts) as two payload frames:
/// `i64[features]` lengths, then every array's `f32` values back to back.
public enum FeatureArrays {
    public static func payload(_ arrays: [[Float]]) -> [Payload] {
        [Payload(dtype: .i64, frame: ZMQFrame(adopting: arrays.map { Int64($0.count) })), .float32(arrays.flatMap { $0 })]
    }

    /// The arrays of `payload`, or `nil` unless it is an `i64` and an `f32` frame whose lengths add up.
    public static func arrays(_ payload: [Payload]) -> [[Float]]? {
        guard payload.count == 2, payload[0].dtype == .i64, payload[1].dtype == .f32 else { return nil }
        let counts = payload[0].values(as: Int64.self), values = payload[1].values(as: Float.self)
        // The lengths come from a peer: summed with overflow checks, each bounded by the values there are.
        var total: Int64 = 0
        for count in counts {
            guard count >= 0, count <= Int64(values.count) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { return nil }
            total = sum
        }
        guard total == Int64(values.count) else { return nil }
        var start = 0
        return counts.map { count in
            defer { start += Int(count) }
            return Array(values[start..<start + Int(count)])
        }
    }
}
