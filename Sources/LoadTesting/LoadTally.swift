import Histogram

/// What one event loop's connections observed. Owned by that loop while the run lasts, merged
/// into the report afterwards, so recording takes no lock.
struct LoadTally: Sendable {
    /// Latencies longer than this (one hour, in microseconds) are recorded as this.
    static let highestLatency: UInt64 = 3_600_000_000

    var latencies = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestLatency,
                                      numberOfSignificantValueDigits: .three)
    var sent = 0
    var responses = 0
    /// Sent but neither answered nor failed when the run stopped.
    var unfinished = 0
    /// Responses by status code; index = code (codes outside 0..<1000 count as 0).
    var statuses = [Int](repeating: 0, count: 1000)
    var errors = [Int](repeating: 0, count: LoadErrorKind.allCases.count)
    var headerValues: [String: Int] = [:]
    /// From the run's start to this tally's shard stopping; the longest one when merged.
    var elapsedNanoseconds: Int64 = 0

    mutating func recordResponse(status: Int, latencyMicroseconds: UInt64) {
        responses += 1
        statuses[(0..<1000).contains(status) ? status : 0] += 1
        _ = latencies.record(Swift.min(Swift.max(latencyMicroseconds, 1), Self.highestLatency))
    }

    mutating func recordError(_ kind: LoadErrorKind) {
        errors[LoadErrorKind.allCases.firstIndex(of: kind)!] += 1
    }

    mutating func recordHeaderValue(_ value: String) {
        headerValues[value, default: 0] += 1
    }

    mutating func merge(_ other: LoadTally) {
        latencies.add(other.latencies)
        sent += other.sent
        responses += other.responses
        unfinished += other.unfinished
        for index in statuses.indices { statuses[index] += other.statuses[index] }
        for index in errors.indices { errors[index] += other.errors[index] }
        headerValues.merge(other.headerValues, uniquingKeysWith: +)
        elapsedNanoseconds = max(elapsedNanoseconds, other.elapsedNanoseconds)
    }

    /// Nonzero status counts keyed by code.
    var statusCounts: [String: Int] {
        Dictionary(uniqueKeysWithValues: statuses.enumerated().filter { $0.element > 0 }.map { (String($0.offset), $0.element) })
    }

    /// Nonzero error counts keyed by ``LoadErrorKind`` raw value.
    var errorCounts: [String: Int] {
        Dictionary(uniqueKeysWithValues: zip(LoadErrorKind.allCases, errors).filter { $0.1 > 0 }.map { ($0.0.rawValue, $0.1) })
    }
}
