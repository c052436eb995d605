import Foundation

/// Reads and writes XGBoost's JSON model format (as written by `Booster.save_model("m.json")`).
///
/// Semantics shared with XGBoost: a row goes left when `value < split_condition`, missing
/// values follow `default_left`; leaf values sit in `split_conditions` with the learning rate
/// applied; `base_score` is stored in prediction space (a probability for `binary:logistic`)
/// as a bracketed vector in a string; every `*_param` value is a string; float arrays must be
/// written with a decimal point or exponent, integer arrays without.
public enum XGBoostJSON {
    /// A booster XGBoost can load, predicting exactly what `model` predicts on the same
    /// (preprocessed) feature matrix. `featureNames` and `featureTypes` (one per feature, or empty) are written where
    /// XGBoost reads them (`learner.feature_names`, `learner.feature_types`: `booster.feature_names` in Python); the
    /// names as given are also kept in `learner.attributes.trainyard_feature_names`. XGBoost refuses names with `[`,
    /// `]` or `<`: those characters are written as `_`.
    public static func export(_ model: GBDTModel, featureNames: [String] = [], featureTypes: [String] = []) -> String {
        let groups = model.objective.outputGroups
        let margins = model.baseMargins
        // XGBoost converts base_score to a margin on load: logit for logistic, identity otherwise.
        let baseScores: [Double] = margins.map { m in
            model.objective == .binaryLogistic ? 1 / (1 + exp(-Double(m))) : Double(m)
        }
        let baseScore = "[" + (Set(baseScores).count == 1 ? [baseScores[0]] : baseScores).map(number).joined(separator: ",") + "]"
        let trees = model.trees.enumerated().map { id, tree in treeJSON(tree, id: id, features: model.featureCount) }
        var objective = #"{"name":"\#(model.objective.name)""#
        switch model.objective {
        case .softprob(let k): objective += #","softmax_multiclass_param":{"num_class":"\#(k)"}}"#
        default: objective += #","reg_loss_param":{"scale_pos_weight":"1"}}"#
        }
        let rounds = groups > 0 ? model.trees.count / groups : 0
        let indptr = (0...rounds).map { String($0 * groups) }.joined(separator: ",")
        var attributes = #""trainyard_format":"gbdt""#
        if !featureNames.isEmpty, let names = try? JSONSerialization.data(withJSONObject: featureNames),
           let escaped = try? JSONSerialization.data(withJSONObject: [String(decoding: names, as: UTF8.self)]) {
            let value = String(decoding: escaped, as: UTF8.self).dropFirst().dropLast()
            attributes += #","trainyard_feature_names":\#(value)"#
        }
        let xgboostNames = featureNames.count == model.featureCount
            ? featureNames.map { String($0.map { "[]<".contains($0) ? "_" : $0 }) } : []
        let xgboostTypes = featureTypes.count == xgboostNames.count ? featureTypes : []
        return #"{"learner":{"attributes":{\#(attributes)},"feature_names":\#(strings(xgboostNames)),"feature_types":\#(strings(xgboostTypes)),"#
            + #""gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"\#(model.trees.count)"},"#
            + #""iteration_indptr":[\#(indptr)],"tree_info":[\#(model.treeGroups.map(String.init).joined(separator: ","))],"#
            + #""trees":[\#(trees.joined(separator: ","))]},"name":"gbtree"},"#
            + #""learner_model_param":{"base_score":"\#(baseScore)","boost_from_average":"0","num_class":"\#(groups > 1 ? groups : 0)","#
            + #""num_feature":"\#(model.featureCount)","num_target":"1"},"objective":\#(objective)},"version":[3,2,0]}"#
    }

    /// A JSON array of strings.
    static func strings(_ values: [String]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: values) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func treeJSON(_ tree: RegressionTree, id: Int, features: Int) -> String {
        let n = tree.nodeCount
        let leaf = (0..<n).map { tree.left[$0] < 0 }
        func floats(_ values: [Float]) -> String { "[" + values.map { number(Double($0)) }.joined(separator: ",") + "]" }
        func ints(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ",") + "]" }
        let conditions = (0..<n).map { leaf[$0] ? tree.value[$0] : tree.threshold[$0] }
        let weights = (0..<n).map { leaf[$0] ? tree.value[$0] : tree.baseWeight[$0] }
        return #"{"base_weights":\#(floats(weights)),"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"#
            + #""default_left":\#(ints((0..<n).map { tree.defaultLeft[$0] ? 1 : 0 })),"id":\#(id),"#
            + #""left_children":\#(ints(tree.left.map(Int.init))),"loss_changes":\#(floats(tree.lossChange)),"#
            + #""parents":\#(ints(tree.parent.map { $0 < 0 ? 2_147_483_647 : Int($0) })),"#
            + #""right_children":\#(ints(tree.right.map(Int.init))),"split_conditions":\#(floats(conditions)),"#
            + #""split_indices":\#(ints(tree.feature.map(Int.init))),"split_type":\#(ints([Int](repeating: 0, count: n))),"#
            + #""sum_hessian":\#(floats(tree.sumHessian)),"#
            + #""tree_param":{"num_deleted":"0","num_feature":"\#(features)","num_nodes":"\#(n)","size_leaf_vector":"1"}}"#
    }

    /// A JSON number that XGBoost reads as a float: always with an exponent, shortest form
    /// that round-trips the `Float`.
    static func number(_ value: Double) -> String {
        let float = Float(value)
        guard float.isFinite else { return float > 0 ? "3.4028235E38" : "-3.4028235E38" }
        if float == 0 { return "0E0" }
        let text = "\(float)"                                  // shortest round-trip, e.g. 0.25, 1e-05, 100000.0
        if text.contains("e") { return text.uppercased() }
        return text + "E0"
    }

    /// Reads an XGBoost JSON model (binary:logistic, reg:squarederror, multi:softprob; numerical splits).
    public static func importModel(_ data: Data) throws(InteropError) -> (model: GBDTModel, featureNames: [String]) {
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw InteropError.format("not a JSON object") }
            root = object
        } catch let error as InteropError { throw error } catch { throw .format("not valid JSON: \(error.localizedDescription)") }
        guard let learner = root["learner"] as? [String: Any] else { throw .format("missing 'learner'") }
        guard let params = learner["learner_model_param"] as? [String: Any],
              let baseText = params["base_score"] as? String,
              let numFeatureText = params["num_feature"] as? String, let featureCount = Int(numFeatureText) else {
            throw .format("missing or malformed 'learner_model_param' (base_score, num_feature)")
        }
        guard (1...TrainyardModel.structureLimit).contains(featureCount) else {
            throw .format("num_feature is \(featureCount); it must be 1 to \(TrainyardModel.structureLimit)")
        }
        guard let objectiveObject = learner["objective"] as? [String: Any], let name = objectiveObject["name"] as? String else {
            throw .format("missing 'objective.name'")
        }
        let numClass = Int(params["num_class"] as? String ?? "0") ?? 0
        let objective: Objective
        do { objective = try Objective(name: name, numClass: numClass) } catch {
            throw .unsupported("objective \(name): \(error)")
        }
        guard let booster = learner["gradient_booster"] as? [String: Any], booster["name"] as? String == "gbtree",
              let model = booster["model"] as? [String: Any], let treeObjects = model["trees"] as? [[String: Any]] else {
            throw .unsupported("only the gbtree booster is supported")
        }
        let treeInfo = (model["tree_info"] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? []
        guard treeInfo.count == treeObjects.count else { throw .format("tree_info has \(treeInfo.count) entries for \(treeObjects.count) trees") }

        var trees = [RegressionTree?](repeating: nil, count: treeObjects.count)
        for object in treeObjects {
            guard let id = (object["id"] as? NSNumber)?.intValue, trees.indices.contains(id), trees[id] == nil else {
                throw .format("tree ids must be 0..<\(treeObjects.count), each once")
            }
            trees[id] = try tree(object, id: id, featureCount: featureCount)
        }
        let groups = objective.outputGroups
        let scores = baseText.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).split(separator: ",")
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !scores.isEmpty, scores.allSatisfy({ $0 != nil }), scores.count == 1 || scores.count == groups else {
            throw .format("base_score '\(baseText)' is not 1 or \(groups) numbers")
        }
        let values = scores.map { $0! }
        var result = GBDTModel(objective: objective, baseScore: values[0], featureCount: featureCount,
                               trees: trees.map { $0! }, treeGroups: treeInfo)
        if values.count > 1 { result.groupBaseMargins = values.map { objective.margin(fromBaseScore: $0) } }
        do throws(ModelValidationError) { try result.validate(features: featureCount) } catch { throw .format(error.description) }
        let names = (learner["feature_names"] as? [String]) ?? []
        return (result, names.count == featureCount ? names : (0..<featureCount).map { "f\($0)" })
    }

    static func tree(_ object: [String: Any], id: Int, featureCount: Int) throws(InteropError) -> RegressionTree {
        func ints(_ key: String) throws(InteropError) -> [Int] {
            guard let array = object[key] as? [Any] else { throw .format("tree \(id): missing '\(key)'") }
            return array.map { ($0 as? NSNumber)?.intValue ?? Int(($0 as? Bool) == true ? 1 : 0) }
        }
        func floats(_ key: String) throws(InteropError) -> [Float] {
            guard let array = object[key] as? [Any] else { throw .format("tree \(id): missing '\(key)'") }
            return array.map { Float(($0 as? NSNumber)?.doubleValue ?? 0) }
        }
        let left = try ints("left_children"), right = try ints("right_children")
        let features = try ints("split_indices"), conditions = try floats("split_conditions")
        let defaultLeft = try ints("default_left")
        let n = left.count
        guard [right.count, features.count, conditions.count, defaultLeft.count].allSatisfy({ $0 == n }), n > 0 else {
            throw .format("tree \(id): node arrays have different lengths")
        }
        guard n <= TrainyardModel.structureLimit else { throw .format("tree \(id) has \(n) nodes; the limit is \(TrainyardModel.structureLimit)") }
        for node in 0..<n where left[node] >= 0 {
            guard left[node] < n, right[node] >= 0, right[node] < n, features[node] >= 0, features[node] < featureCount else {
                throw .format("tree \(id): node \(node) points outside the tree or the features")
            }
        }
        if let types = object["split_type"] as? [Any], types.contains(where: { ($0 as? NSNumber)?.intValue != 0 }) {
            throw .unsupported("tree \(id) has categorical splits")
        }
        let baseWeights = (try? floats("base_weights")) ?? [Float](repeating: 0, count: n)
        let losses = (try? floats("loss_changes")) ?? [Float](repeating: 0, count: n)
        let hessians = (try? floats("sum_hessian")) ?? [Float](repeating: 0, count: n)
        var tree = RegressionTree()
        var parent = [Int32](repeating: -1, count: n)
        for node in 0..<n where left[node] >= 0 {
            parent[left[node]] = Int32(node)
            parent[right[node]] = Int32(node)
        }
        for node in 0..<n {
            let isLeaf = left[node] < 0
            tree.left.append(isLeaf ? -1 : Int32(left[node]))
            tree.right.append(Int32(isLeaf ? -1 : right[node]))
            tree.parent.append(parent[node])
            tree.feature.append(Int32(isLeaf ? 0 : features[node]))
            tree.threshold.append(isLeaf ? 0 : conditions[node])
            tree.splitBin.append(0)
            tree.defaultLeft.append(defaultLeft[node] == 1)
            tree.value.append(isLeaf ? conditions[node] : 0)
            tree.baseWeight.append(node < baseWeights.count ? baseWeights[node] : 0)
            tree.lossChange.append(node < losses.count ? losses[node] : 0)
            tree.sumHessian.append(node < hessians.count ? hessians[node] : 0)
        }
        return tree
    }
}

/// A model file from another library that cannot be used.
public enum InteropError: Error, Sendable, Equatable, CustomStringConvertible {
    case format(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .format(let detail): "not a valid XGBoost JSON model: \(detail)"
        case .unsupported(let detail): "unsupported XGBoost model: \(detail)"
        }
    }
}
