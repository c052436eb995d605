/// All trees of a model in one contiguous array of 16-byte nodes, laid out for fast,
/// branch-free prediction.
///
/// Each tree is renumbered so that the children of a node are adjacent (`right = left + 1`):
/// a step is `node = left + (goesLeft ? 0 : 1)`, which compiles to a conditional move rather
/// than a mispredicted branch. A leaf points at itself with a NaN threshold and
/// missing-goes-left, which send every value left (see ``step(_:_:_:)``), so stepping past
/// it changes nothing; every tree is walked exactly `depth` steps, for eight rows at a time,
/// giving the CPU independent chains to overlap.
struct PackedForest: Sendable {
    struct Node {
        var threshold: Float
        /// Feature index, with bit 31 set when missing values go left.
        var featureAndDefault: UInt32
        var left: Int32
        /// The leaf's output (0 for internal nodes).
        var output: Float
    }

    let nodes: [Node]
    let roots: [Int32]
    let depths: [Int]
    let groups: [Int]

    init(trees: [RegressionTree], groups: [Int]) {
        var nodes: [Node] = []
        nodes.reserveCapacity(trees.reduce(0) { $0 + $1.nodeCount })
        var roots: [Int32] = []
        var depths: [Int] = []
        for tree in trees {
            let base = nodes.count
            roots.append(Int32(base))
            depths.append(tree.depth)
            // Breadth-first renumbering; `order[i]` is the original node at packed slot i.
            var order = [0]
            var slot = [Int](repeating: 0, count: tree.nodeCount)
            var i = 0
            while i < order.count {
                let n = order[i]
                slot[n] = i
                if tree.left[n] >= 0 { order += [Int(tree.left[n]), Int(tree.right[n])] }
                i += 1
            }
            for (packed, n) in order.enumerated() {
                if tree.left[n] < 0 {
                    nodes.append(Node(threshold: .nan, featureAndDefault: 1 << 31, left: Int32(base + packed), output: tree.value[n]))
                } else {
                    let left = base + slot[Int(tree.left[n])]
                    // `v < NaN` is false for every v (XGBoost sends all non-missing values right);
                    // -infinity does the same under this layout's `!(v >= threshold)`.
                    nodes.append(Node(threshold: tree.threshold[n].isNaN ? -.infinity : tree.threshold[n],
                                      featureAndDefault: UInt32(tree.feature[n]) | (tree.defaultLeft[n] ? 1 << 31 : 0),
                                      left: Int32(left), output: 0))
                }
            }
        }
        self.nodes = nodes
        self.roots = roots
        self.depths = depths
        self.groups = groups
    }

    /// Adds every tree's output for `rows` of the row-major `features` to `margins`
    /// (`rows × groupCount`). Rows go in blocks of 64 per tree so each tree stays in cache.
    func accumulate(features: UnsafePointer<Float>, columns: Int, rows: Range<Int>,
                    margins: UnsafeMutablePointer<Float>, groupCount: Int) {
        nodes.withUnsafeBufferPointer { buffer in
            let nodes = buffer.baseAddress!
            var start = rows.lowerBound
            while start < rows.upperBound {
                let end = min(start + 64, rows.upperBound)
                for t in roots.indices {
                    let root = Int(roots[t]), depth = depths[t], group = groups[t]
                    var row = start
                    while row + 8 <= end {
                        var n = (root, root, root, root, root, root, root, root)
                        for _ in 0..<depth {
                            n.0 = Self.step(nodes, n.0, features + (row + 0) * columns)
                            n.1 = Self.step(nodes, n.1, features + (row + 1) * columns)
                            n.2 = Self.step(nodes, n.2, features + (row + 2) * columns)
                            n.3 = Self.step(nodes, n.3, features + (row + 3) * columns)
                            n.4 = Self.step(nodes, n.4, features + (row + 4) * columns)
                            n.5 = Self.step(nodes, n.5, features + (row + 5) * columns)
                            n.6 = Self.step(nodes, n.6, features + (row + 6) * columns)
                            n.7 = Self.step(nodes, n.7, features + (row + 7) * columns)
                        }
                        margins[(row + 0) * groupCount + group] += nodes[n.0].output
                        margins[(row + 1) * groupCount + group] += nodes[n.1].output
                        margins[(row + 2) * groupCount + group] += nodes[n.2].output
                        margins[(row + 3) * groupCount + group] += nodes[n.3].output
                        margins[(row + 4) * groupCount + group] += nodes[n.4].output
                        margins[(row + 5) * groupCount + group] += nodes[n.5].output
                        margins[(row + 6) * groupCount + group] += nodes[n.6].output
                        margins[(row + 7) * groupCount + group] += nodes[n.7].output
                        row += 8
                    }
                    while row < end {
                        var n = root
                        for _ in 0..<depth { n = Self.step(nodes, n, features + row * columns) }
                        margins[row * groupCount + group] += nodes[n].output
                        row += 1
                    }
                }
                start = end
            }
        }
    }

    /// One branch-free step down from node `n` for the row at `x`.
    @inline(__always)
    static func step(_ nodes: UnsafePointer<Node>, _ n: Int, _ x: UnsafePointer<Float>) -> Int {
        let node = nodes[n]
        let feature = Int(node.featureAndDefault & 0x7FFF_FFFF)
        let v = x[feature]
        let missingLeft = node.featureAndDefault >> 31
        // For a value, !(v >= threshold) is v < threshold; a missing value goes left only by
        // its flag. A leaf's NaN threshold makes !(v >= threshold) true for every value,
        // infinities included, and its flag does the same for NaN: it never moves.
        let goLeft = (v >= node.threshold ? 0 : 1) & ((v.isNaN ? 0 : 1) | Int(missingLeft))
        return Int(node.left) + 1 - goLeft
    }
}
