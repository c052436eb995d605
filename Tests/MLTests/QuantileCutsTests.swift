import Testing
@testable import TrainyardML

struct QuantileCutsTests {
    @Test func fewDistinctValuesGetOneBinEach() {
        let cuts = QuantileCuts.compute(DenseMatrix([[1], [2], [2], [5], [.nan]]), maxBin: 256, threads: 1)
        // Upper bounds: a split after bin b sends values < cuts[b] left.
        #expect(cuts.cuts[0].prefix(2) == [2, 5])
        #expect(cuts.cuts[0].count == 3 && cuts.cuts[0][2] > 5)
        #expect(cuts.bin(feature: 0, value: 1) == 0 && cuts.bin(feature: 0, value: 2) == 1 && cuts.bin(feature: 0, value: 5) == 2)
        #expect(cuts.bin(feature: 0, value: .nan) == 3)
    }

    @Test func manyValuesAreCutAtQuantilesWithinTheBinLimit() {
        var random = SplitMix64(seed: 3)
        let rows = (0..<50_000).map { _ in [Float.random(in: 0..<1, using: &random)] }
        let cuts = QuantileCuts.compute(DenseMatrix(rows), maxBin: 64, threads: 2).cuts[0]
        #expect(cuts.count <= 64)
        #expect(cuts == cuts.sorted())
        // Roughly equal-frequency bins: the median cut sits near 0.5.
        #expect(abs(cuts[cuts.count / 2] - 0.5) < 0.05)
    }

    /// The distributed trainer's cut computation: shards sample their rows, the coordinator
    /// merges — and gets exactly the cuts one machine computes, however the rows are split.
    @Test(arguments: [[1_000_000], [400_000, 600_000], [333_333, 333_333, 333_334], [1, 499_999, 250_000, 250_000]])
    func cutsFromShardSamplesEqualTheLocalCuts(shardSizes: [Int]) {
        var random = SplitMix64(seed: 9)
        let rows = shardSizes.reduce(0, +)
        let values = (0..<rows * 2).map { i -> Float in i % 7 == 0 ? .nan : Float.random(in: -3...3, using: &random) }
        let matrix = DenseMatrix(rows: rows, columns: 2, values: values)
        let local = QuantileCuts.compute(matrix, maxBin: 256, threads: 2)
        var start = 0
        var samples: [[[Float]]] = []
        for size in shardSizes {
            samples.append(QuantileCuts.sample(matrix.rows(start..<start + size), firstRow: start, totalRows: rows, threads: 1))
            start += size
        }
        #expect(QuantileCuts.fromSamples(samples, maxBin: 256, threads: 2) == local)
    }
}
