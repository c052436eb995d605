/// One regression tree in flat arrays, node 0 the root, as XGBoost stores trees.
///
/// An internal node sends a row to `left` when its feature value is `< threshold`, to the
/// `defaultLeft` side when the value is missing, else to `right`. A leaf has `left == -1`
/// and contributes `value` (learning rate already applied) to its output group's margin.
public struct RegressionTree: Sendable, Equatable, Codable {
    public var left: [Int32] = []
    public var right: [Int32] = []
    public var parent: [Int32] = []
    public var feature: [Int32] = []
    public var threshold: [Float] = []
    /// Bin index of the split (training only: rows are routed by bin during training).
    public var splitBin: [Int32] = []
    public var defaultLeft: [Bool] = []
    /// Leaf output, eta applied; 0 for internal nodes.
    public var value: [Float] = []
    /// The node's weight had it been a leaf (−G/(H+λ) without eta), as XGBoost's `base_weights`.
    public var baseWeight: [Float] = []
    /// Loss reduction of the split; 0 for leaves.
    public var lossChange: [Float] = []
    public var sumHessian: [Float] = []

    /// An empty tree; the grower appends nodes.
    public init() {}

    public var nodeCount: Int { left.count }

    /// Appends a leaf and returns its index.
    @discardableResult
    mutating func appendLeaf(parent: Int32, baseWeight: Float, value: Float, sumHessian: Float) -> Int32 {
        left.append(-1); right.append(-1); self.parent.append(parent)
        feature.append(0); threshold.append(0); splitBin.append(0); defaultLeft.append(false)
        self.value.append(value); self.baseWeight.append(baseWeight); lossChange.append(0)
        self.sumHessian.append(sumHessian)
        return Int32(left.count - 1)
    }

    /// The leaf value for a row of raw features.
    @inline(__always)
    public func predict(_ row: UnsafePointer<Float>) -> Float {
        var node = 0
        while left[node] >= 0 {
            let v = row[Int(feature[node])]
            let goLeft = v.isNaN ? defaultLeft[node] : v < threshold[node]
            node = Int(goLeft ? left[node] : right[node])
        }
        return value[node]
    }

    /// The leaf value for a row of bin indices (training: the same decisions as `predict`).
    @inline(__always)
    func predict(bins row: UnsafePointer<UInt8>, binCounts: UnsafePointer<Int>) -> Float {
        var node = 0
        while left[node] >= 0 {
            let f = Int(feature[node])
            let b = Int(row[f])
            let goLeft = b == binCounts[f] ? defaultLeft[node] : b <= Int(splitBin[node])
            node = Int(goLeft ? left[node] : right[node])
        }
        return value[node]
    }

    /// Why this tree cannot be walked over rows of `features` values, or `nil` when it can:
    /// parallel arrays of one length, at least a root, every internal node's children later
    /// nodes (so no walk loops) and its feature below `features`, every child naming its
    /// node as `parent` (so no node is reached twice), and every parent an earlier node or
    /// negative (unreachable, as pruned nodes in XGBoost files), which keeps ``depth`` in
    /// bounds. For trees from outside.
    public func problem(features: Int) -> String? {
        let n = nodeCount
        let lengths = [right.count, parent.count, feature.count, threshold.count, splitBin.count, defaultLeft.count,
                       value.count, baseWeight.count, lossChange.count, sumHessian.count]
        guard n > 0, lengths.allSatisfy({ $0 == n }) else { return "tree arrays are empty or of different lengths" }
        for node in 0..<n where left[node] >= 0 {
            guard left[node] > node, left[node] < n, right[node] > node, right[node] < n else {
                return "node \(node) has children \(left[node]), \(right[node]) outside \(node + 1)..<\(n)"
            }
            guard feature[node] >= 0, feature[node] < features else {
                return "node \(node) splits on feature \(feature[node]); there are \(features)"
            }
        }
        for node in 0..<n where left[node] >= 0 {
            guard left[node] != right[node], parent[Int(left[node])] == node, parent[Int(right[node])] == node else {
                return "node \(node)'s children \(left[node]), \(right[node]) do not name it as their parent"
            }
        }
        if let node = (1..<max(n, 1)).first(where: { parent[$0] >= $0 }) {
            return "node \(node) names parent \(parent[node]), not an earlier node"
        }
        return nil
    }

    /// Depth of the deepest leaf (a lone root is depth 0).
    public var depth: Int {
        guard nodeCount > 0 else { return 0 }
        var depths = [Int](repeating: 0, count: nodeCount)
        for node in 1..<nodeCount where parent[node] >= 0 { depths[node] = depths[Int(parent[node])] + 1 }
        return depths.max() ?? 0
    }
}
