import Foundation
import Synchronization
import TrainyardML

/// Watches one served model version's live inputs and predictions against the baseline in its
/// model file, over a sliding window of the most recent rows (at most ``Settings/windowRows``,
/// none older than ``Settings/windowSeconds``; a large request contributes an even sample of at
/// most a tenth of the window).
///
/// Each request's rows are binned outside the lock (a binary search per numeric value, a lookup
/// per categorical level); under the lock they enter a ring buffer whose per-bin counts are kept
/// up to date as rows enter and leave, so a report costs the bins, not the window. Categorical
/// values the model never saw are counted as unseen and fall in the baseline's "other" bucket,
/// where a training share near zero makes them weigh in the PSI.
public final class DriftMonitor: Sendable {
    public struct Settings: Sendable, Equatable {
        /// The most recent rows compared (default 1,000).
        public var windowRows = 1000
        /// Rows older than this leave the window (default one hour).
        public var windowSeconds = 3600.0
        /// At most this many requests (or batch chunks) a second are recorded (default 1,000; `nil`:
        /// every one). Below that rate every request counts; above it the window still holds a
        /// second or more of traffic, and the serving path pays for a few requests in a hundred.
        public var recordsPerSecond: Int?

        public init(windowRows: Int = 1000, windowSeconds: Double = 3600, recordsPerSecond: Int? = 1000) {
            self.windowRows = max(1, windowRows)
            self.windowSeconds = windowSeconds
            self.recordsPerSecond = recordsPerSecond.map { max(1, $0) }
        }
    }

    /// Bin of a missing value; text values that are present take bin 0.
    private static let missing: UInt8 = 255

    private struct Window {
        /// Per feature (the baseline's, then the prediction), per slot: the bin, or ``missing``.
        var bins: [[UInt8]]
        /// Per feature, per slot: whether the value was a category the model never saw.
        var unseen: [[Bool]]
        var times: [Double]
        /// The oldest slot, and the rows held.
        var head = 0
        var count = 0
        /// Per feature: rows per bin, missing rows, unseen rows.
        var counts: [[Int]]
        var missingCounts: [Int]
        var unseenCounts: [Int]
    }

    public let name: String
    public let version: Int
    public let baseline: DriftBaseline
    public let settings: Settings
    /// Per baseline feature: the tracked levels' bins, and every level the model was trained with.
    private let levelBins: [[String: Int]?]
    private let known: [Set<String>?]
    private let window: Mutex<Window>
    /// When (uptime nanoseconds) the next request may be recorded, under ``Settings/recordsPerSecond``.
    private let nextRecord = Atomic<UInt64>(0)

    public init(name: String, version: Int, model: TrainyardModel, baseline: DriftBaseline, settings: Settings = Settings()) {
        self.name = name
        self.version = version
        self.baseline = baseline
        self.settings = settings
        levelBins = baseline.features.map { feature in
            feature.levels.map { Dictionary(uniqueKeysWithValues: $0.enumerated().map { ($1, $0) }) }
        }
        let inputs = Dictionary(model.preprocessor.inputs.map { ($0.name, $0.transform) }, uniquingKeysWith: { first, _ in first })
        known = baseline.features.map { feature in
            switch inputs[feature.name] {
            case .oneHot(let levels, _), .ordinal(let levels): Set(levels)
            default: nil
            }
        }
        let all = baseline.features + [baseline.prediction]
        let capacity = settings.windowRows
        window = Mutex(Window(bins: all.map { _ in [UInt8](repeating: 0, count: capacity) },
                              unseen: all.map { _ in [Bool](repeating: false, count: capacity) },
                              times: [Double](repeating: 0, count: capacity),
                              counts: all.map { [Int](repeating: 0, count: max($0.bins, 1)) },
                              missingCounts: [Int](repeating: 0, count: all.count),
                              unseenCounts: [Int](repeating: 0, count: all.count)))
    }

    /// At most this many rows of one request enter the window (a tenth of it): a large batch is
    /// sampled evenly rather than filling the window alone, and its cost stays bounded.
    public var rowsPerRecord: Int { max(1, settings.windowRows / 10) }

    /// Adds a request's rows (the table the model predicted on) and their predictions
    /// (`outputs` per row) at Unix time `now`; of a large request, ``rowsPerRecord`` rows
    /// spread evenly over it.
    public func record(_ table: Table, predictions: [Float], outputs: Int, now: Double = Date().timeIntervalSince1970) {
        let rows = table.rows
        guard rows > 0, admits() else { return }
        let take = min(rows, rowsPerRecord)
        let spacing = Double(rows) / Double(take)
        func row(_ k: Int) -> Int { take == rows ? k : Int(Double(k) * spacing) }
        let width = baseline.features.count + 1
        // Row-major, one allocation each: the bin of every feature (and the prediction) of every taken row.
        var bins = [UInt8](repeating: Self.missing, count: take * width)
        var unseen = [Bool](repeating: false, count: take * width)
        for (index, feature) in baseline.features.enumerated() {
            // The table's columns are the model's inputs in order, as the baseline's features are.
            let column = index < table.columns.count && table.names[index] == feature.name ? table.columns[index] : table[feature.name]
            switch column {
            case .numeric(let values)?:
                for k in 0..<take {
                    let value = values[row(k)]
                    bins[k * width + index] = value.isNaN ? Self.missing : UInt8(feature.bin(value))
                }
            case .categorical(let codes, let levels)?:
                let other = feature.levels?.count ?? 0
                let tracked = levelBins[index], trained = known[index]
                let levelBin = levels.map { UInt8(tracked?[$0] ?? other) }
                let levelUnseen = levels.map { level in trained.map { !$0.contains(level) } ?? false }
                for k in 0..<take {
                    let code = codes[row(k)]
                    guard code >= 0 else { continue }
                    bins[k * width + index] = levelBin[Int(code)]
                    unseen[k * width + index] = levelUnseen[Int(code)]
                }
            case .text(let values)?:
                for k in 0..<take where !values[row(k)].isEmpty { bins[k * width + index] = 0 }
            case nil:
                break
            }
        }
        let step = max(outputs, 1), last = width - 1
        for k in 0..<take {
            let index = row(k) * step
            if index < predictions.count, !predictions[index].isNaN { bins[k * width + last] = UInt8(baseline.prediction.bin(predictions[index])) }
        }
        window.withLock { window in
            for k in 0..<take {
                if window.count == settings.windowRows { evictOldest(&window) }
                let slot = (window.head + window.count) % settings.windowRows
                for feature in 0..<width {
                    let bin = bins[k * width + feature]
                    window.bins[feature][slot] = bin
                    window.unseen[feature][slot] = unseen[k * width + feature]
                    if bin == Self.missing { window.missingCounts[feature] += 1 } else { window.counts[feature][Int(bin)] += 1 }
                    if unseen[k * width + feature] { window.unseenCounts[feature] += 1 }
                }
                window.times[slot] = now
                window.count += 1
            }
        }
    }

    /// Whether this request is recorded: always without a rate limit, else when the next slot
    /// has come, which this request then takes (one load per request, a compare-and-swap per record).
    private func admits() -> Bool {
        guard let rate = settings.recordsPerSecond else { return true }
        let now = DispatchTime.now().uptimeNanoseconds
        let next = nextRecord.load(ordering: .relaxed)
        guard now >= next else { return false }
        return nextRecord.compareExchange(expected: next, desired: now + 1_000_000_000 / UInt64(rate), ordering: .relaxed).exchanged
    }

    private func evictOldest(_ window: inout Window) {
        let slot = window.head
        for feature in window.bins.indices {
            let bin = window.bins[feature][slot]
            if bin == Self.missing { window.missingCounts[feature] -= 1 } else { window.counts[feature][Int(bin)] -= 1 }
            if window.unseen[feature][slot] { window.unseenCounts[feature] -= 1 }
        }
        window.head = (window.head + 1) % settings.windowRows
        window.count -= 1
    }

    /// The report at Unix time `now`: rows older than the window's seconds leave it first.
    public func report(now: Double = Date().timeIntervalSince1970) -> DriftReport {
        // Only the counts leave the lock: a copy of the whole window would make the next request
        // copy its ring buffers when it writes to them.
        let snapshot = window.withLock { window in
            let cutoff = now - settings.windowSeconds
            while window.count > 0 && window.times[window.head] < cutoff { evictOldest(&window) }
            return (counts: window.counts, missingCounts: window.missingCounts, unseenCounts: window.unseenCounts, count: window.count)
        }
        let all = baseline.features + [baseline.prediction]
        let features = all.indices.map { index in
            Self.compare(all[index], counts: snapshot.counts[index], missing: snapshot.missingCounts[index],
                         unseen: snapshot.unseenCounts[index], rows: snapshot.count, tracksUnseen: index < known.count && known[index] != nil)
        }
        return DriftReport(model: name, version: version, rows: snapshot.count, windowRows: settings.windowRows,
                           windowSeconds: settings.windowSeconds, baselineRows: baseline.rows,
                           features: Array(features.dropLast()), prediction: features.last!)
    }

    /// Shares are floored at this before PSI's logarithm (an empty bin on either side).
    static let floor = 1e-4

    /// One feature's live counts against its baseline.
    static func compare(_ feature: DriftBaseline.Feature, counts: [Int], missing: Int, unseen: Int, rows: Int,
                        tracksUnseen: Bool) -> DriftReport.Feature {
        let present = rows - missing
        var report = DriftReport.Feature(name: feature.name, kind: feature.kind, missingRate: rows == 0 ? 0 : Double(missing) / Double(rows),
                                         baselineMissingRate: feature.missingRate)
        if tracksUnseen { report.unseenRate = present == 0 ? 0 : Double(unseen) / Double(present) }
        guard present > 0, feature.bins > 0 else { return report }
        let live = counts.prefix(feature.bins).map { Double($0) / Double(present) }
        report.psi = psi(expected: feature.shares, actual: live)
        if feature.kind == .numeric { report.ks = ks(expected: feature.shares, actual: live) }
        return report
    }

    /// Σ (actual − expected) · ln(actual / expected), each share floored at ``floor``.
    static func psi(expected: [Double], actual: [Double]) -> Double {
        zip(expected, actual).reduce(0) { sum, pair in
            let e = max(pair.0, floor), a = max(pair.1, floor)
            return sum + (a - e) * log(a / e)
        }
    }

    /// The largest gap between the two cumulative distributions over the bins.
    static func ks(expected: [Double], actual: [Double]) -> Double {
        var e = 0.0, a = 0.0, gap = 0.0
        for (x, y) in zip(expected, actual) {
            e += x
            a += y
            gap = max(gap, abs(a - e))
        }
        return gap
    }
}
