@testable import Coordinator
import Testing
import TrainyardML

/// The checks a worker's histograms pass before the coordinator sums them: real shard
/// histograms pass; sums beyond the shard's rows, features that disagree, wrong lengths,
/// sums that overflow and children larger than their parents are refused with the place named.
struct HistogramCheckTests {
    /// A real root histogram of a 500-row shard (binary:logistic, some missing values).
    static func root() -> (histogram: [Int64], check: HistogramCheck, rows: Int) {
        let rows = 500, columns = 4
        var generator = SystemRandomNumberGenerator()
        var values: [Float] = []
        for row in 0..<rows {
            for column in 0..<columns {
                values.append(row % (7 + column) == 0 ? .nan : Float.random(in: -3...3, using: &generator))
            }
        }
        let features = DenseMatrix(rows: rows, columns: columns, values: values)
        let labels = (0..<rows).map { Float($0 % 2) }
        let cuts = QuantileCuts.compute(features, maxBin: 16, threads: 1)
        var shard = GBDTShard(features: features, labels: labels, cuts: cuts, objective: .binaryLogistic, baseMargin: 0, threads: 1)
        let scale = GradientScale(gradientExponent: QuantizedGradients.exponent(maxAbs: 1),
                                  hessianExponent: QuantizedGradients.exponent(maxAbs: 0.25))
        let histogram = shard.beginTree(TreeStart(group: 0, scale: scale, subsample: 1, seed: 1))
        return (histogram, HistogramCheck(layout: HistogramLayout(binCounts: cuts.binCounts)), rows)
    }

    static func problem(_ histogram: [Int64], _ check: HistogramCheck, rows: Int, count: Int = 1) -> String? {
        histogram.withUnsafeBufferPointer { check.problem($0, count: count, rows: rows) }
    }

    @Test func aRealShardHistogramPasses() {
        let (histogram, check, rows) = Self.root()
        #expect(Self.problem(histogram, check, rows: rows) == nil)
        #expect(Self.problem(histogram + histogram, check, rows: rows, count: 2) == nil)
    }

    @Test func aSlotOfTwoToTheSixtyTwoIsRefusedNamingTheSlot() {
        var (histogram, check, rows) = Self.root()
        histogram[2 * check.layout.offsets[1] + 1] = 1 << 62
        let problem = Self.problem(histogram, check, rows: rows)
        #expect(problem?.contains("feature 1, slot 0") == true, "\(problem ?? "")")
        #expect(problem?.contains("beyond what 500 rows can sum to") == true, "\(problem ?? "")")
    }

    @Test func aNegativeHessianIsRefused() {
        var (histogram, check, rows) = Self.root()
        histogram[3] = -1
        #expect(Self.problem(histogram, check, rows: rows)?.contains("slot 1") == true)
    }

    @Test func featuresWhoseSlotsSumDifferentlyAreRefused() {
        var (histogram, check, rows) = Self.root()
        // A plausible value moved from feature 2 to feature 3: every slot in bounds, totals differ.
        let from = 2 * check.layout.offsets[2], to = 2 * check.layout.offsets[3]
        histogram[to] += histogram[from]
        histogram[from] = 0
        let problem = Self.problem(histogram, check, rows: rows)
        #expect(problem?.contains("every row falls in one slot of each feature") == true, "\(problem ?? "")")
    }

    @Test func aHistogramOfTheWrongLengthIsRefused() {
        let (histogram, check, rows) = Self.root()
        #expect(Self.problem(Array(histogram.dropLast(2)), check, rows: rows)?.contains("were expected") == true)
        #expect(Self.problem(histogram, check, rows: rows, count: 2)?.contains("2 histograms") == true)
    }

    @Test func sumsThatOverflowAreReported() {
        var total: [Int64] = [.max - 1, 5]
        let at = [Int64(2), 1].withUnsafeBufferPointer { add in
            total.withUnsafeMutableBufferPointer { HistogramCheck.add(add, into: $0) }
        }
        #expect(at == 0)
        #expect(HistogramCheck.bound(rows: .max) == .max)
    }

    @Test func aChildHoldingMoreHessianThanItsParentIsRefused() {
        let (histogram, _, _) = Self.root()
        guard case .success(let zero) = HistogramCheck.subtract(histogram, histogram) else {
            Issue.record("x − x refused")
            return
        }
        #expect(zero.allSatisfy { $0 == 0 })
        var bigger = histogram
        bigger[1] += 1
        guard case .failure(let problem) = HistogramCheck.subtract(histogram, bigger) else {
            Issue.record("a child larger than its parent passed")
            return
        }
        #expect(problem.description.contains("more hessian"))
        guard case .failure(let overflow) = HistogramCheck.subtract([.min, 0], [1, 0]) else {
            Issue.record("an overflowing difference passed")
            return
        }
        #expect(overflow.description.contains("overflows"))
    }
}
