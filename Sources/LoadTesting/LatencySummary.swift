import Histogram

/// Latency percentiles of one run, in milliseconds, read from an HDR histogram of microseconds.
///
/// Values carry the histogram's precision (three significant digits): a percentile is the highest
/// value equivalent to the recorded ones at that rank, as HdrHistogram and wrk report it.
public struct LatencySummary: Sendable, Codable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    /// The 99.9th percentile.
    public var p999: Double
    public var max: Double
    public var mean: Double

    public init(p50: Double, p90: Double, p99: Double, p999: Double, max: Double, mean: Double) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.mean = mean
    }

    /// Summarizes a histogram whose values are microseconds; all zeros when it is empty.
    public init(microseconds histogram: Histogram<UInt64>) {
        guard histogram.totalCount > 0 else {
            self.init(p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0)
            return
        }
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        self.init(
            p50: ms(histogram.valueAtPercentile(50)),
            p90: ms(histogram.valueAtPercentile(90)),
            p99: ms(histogram.valueAtPercentile(99)),
            p999: ms(histogram.valueAtPercentile(99.9)),
            max: ms(histogram.max),
            mean: histogram.mean / 1000
        )
    }
}
