import Testing
@testable import TrainyardML

/// The packed, branch-free forest must walk every row exactly as the trees themselves do.
struct PackedForestTests {
    @Test func everyValueIncludingInfinitiesAndMissingWalksLikeTheTrees() throws {
        let (x, y) = syntheticClassification(rows: 3000, seed: 4)
        var p = GBDTParameters()
        p.trees = 20
        p.maxDepth = 5
        let model = try GBDTTrainer(parameters: p).train(x, labels: y).model
        // Trees of uneven depth, so that many leaves sit above the forest's full depth.
        #expect(model.trees.contains { tree in (0..<tree.nodeCount).contains { tree.left[$0] < 0 && depth(of: $0, in: tree) < tree.depth } })
        let specials: [Float] = [.infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0, -0.0]
        var random = SplitMix64(seed: 8)
        var values: [Float] = []
        let rows = 200
        for _ in 0..<rows {
            for _ in 0..<6 {
                values.append(Int.random(in: 0..<3, using: &random) == 0 ? specials.randomElement(using: &random)!
                                                                         : Float.random(in: -1.5...1.5, using: &random))
            }
        }
        let matrix = DenseMatrix(rows: rows, columns: 6, values: values)
        let margins = model.predictMargins(matrix, threads: 1)
        let base = model.baseMargins[0]
        for row in 0..<rows {
            let expected = values.withUnsafeBufferPointer { buffer in
                model.trees.reduce(base) { sum, tree in sum + tree.predict(buffer.baseAddress! + row * 6) }
            }
            #expect(margins[row] == expected, "row \(row): \(values[row * 6..<(row + 1) * 6])")
        }
    }

    private func depth(of node: Int, in tree: RegressionTree) -> Int {
        var depth = 0, n = node
        while tree.parent[n] >= 0 { n = Int(tree.parent[n]); depth += 1 }
        return depth
    }
}
