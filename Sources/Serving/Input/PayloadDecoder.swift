import TrainyardML

/// Turns each endpoint's JSON body into a ``Table``.
public enum PayloadDecoder {
    /// `POST /predict`: one record object, an array of records, or `{"records": [...]}`.
    /// MLflow-style bodies are accepted here too.
    public static func predict(_ json: JSONValue, features: FeatureTable) throws(InputError) -> Table {
        if let object = json.object {
            if let records = object["records"] {
                guard let records = records.array else { throw InputError("'records' must be an array of objects, got \(records.typeName)") }
                return try features.table(records: records)
            }
            if mlflowKeys.contains(where: { object[$0] != nil }) { return try invocations(json, features: features) }
            return try features.table(records: [json])
        }
        if let records = json.array { return try features.table(records: records) }
        throw InputError("the body must be a JSON object of features, an array of them, or {\"records\": [...]}; got \(json.typeName)")
    }

    static let mlflowKeys = ["dataframe_split", "dataframe_records", "instances", "inputs"]

    /// `POST /invocations`, MLflow's scoring payloads: `dataframe_split` (`columns`, `data`),
    /// `dataframe_records`, `instances` or `inputs` (records, rows in the model's input order,
    /// or a dict of columns).
    public static func invocations(_ json: JSONValue, features: FeatureTable) throws(InputError) -> Table {
        guard let object = json.object else {
            throw InputError("the body must be a JSON object with one of 'dataframe_split', 'dataframe_records', 'instances' or 'inputs'; got \(json.typeName)")
        }
        let present = mlflowKeys.filter { object[$0] != nil }
        guard present.count == 1, let key = present.first, let value = object[key] else {
            throw InputError(present.isEmpty
                ? "expected one of 'dataframe_split', 'dataframe_records', 'instances' or 'inputs'"
                : "give only one of \(present.map { "'\($0)'" }.joined(separator: ", "))")
        }
        switch key {
        case "dataframe_split":
            guard let split = value.object else { throw InputError("'dataframe_split' must be an object with 'columns' and 'data'") }
            guard let columns = split["columns"]?.array, case let names = columns.compactMap(\.string), names.count == columns.count else {
                throw InputError("'dataframe_split.columns' must be an array of column names")
            }
            guard let data = split["data"]?.array else { throw InputError("'dataframe_split.data' must be an array of rows") }
            guard Set(names).count == names.count else { throw InputError("'dataframe_split.columns' names a column twice") }
            do { return try features.table(rows: data, columnNames: names) } catch {
                throw InputError("dataframe_split: \(error.message)")
            }
        case "dataframe_records":
            guard let records = value.array else { throw InputError("'dataframe_records' must be an array of objects") }
            return try features.table(records: records)
        default:
            return try tensorLike(value, key: key, features: features)
        }
    }

    /// `instances` / `inputs`: records, positional rows, or a dict of columns.
    private static func tensorLike(_ value: JSONValue, key: String, features: FeatureTable) throws(InputError) -> Table {
        if let columns = value.object {
            var typed: [String: [JSONValue]] = [:]
            for (name, column) in columns.members {
                guard let values = column.array else { throw InputError("'\(key).\(name)' must be an array of values") }
                typed[name] = values
            }
            return try features.table(columns: typed)
        }
        guard let items = value.array else { throw InputError("'\(key)' must be an array of records or rows, or an object of columns") }
        if items.first?.array != nil { return try features.table(rows: items) }
        return try features.table(records: items)
    }

    /// `POST /v2/models/{name}/infer` (open inference protocol, V2): one input tensor per
    /// feature, named after it, of shape `[N]` or `[N, 1]`; or a single `[N, F]` tensor of
    /// all features in the model's input order.
    public static func v2(_ json: JSONValue, features: FeatureTable) throws(InputError) -> Table {
        guard let inputs = json.object?["inputs"]?.array else {
            throw InputError("the body must be an object with an 'inputs' array of tensors")
        }
        var columns: [String: [JSONValue]] = [:]
        var wide: (rows: Int, data: [JSONValue])?
        for (index, item) in inputs.enumerated() {
            guard let tensor = item.object else { throw InputError("inputs[\(index)] must be a tensor object") }
            guard let name = tensor["name"]?.string else { throw InputError("inputs[\(index)] lacks its 'name'") }
            guard let shape = tensor["shape"]?.array, !shape.isEmpty,
                  case let dims = shape.compactMap(\.number), dims.count == shape.count,
                  dims.allSatisfy({ $0.rounded() == $0 && abs($0) < 1e15 }) else {
                throw InputError("input '\(name)': 'shape' must be an array of integers")
            }
            let sizes = dims.map { Int($0) }
            guard sizes.allSatisfy({ $0 >= 0 }), sizes.count <= 2 else { throw InputError("input '\(name)': shape \(sizes) must be [N] or [N, F]") }
            guard let datatype = tensor["datatype"]?.string, supportedTypes.contains(datatype) else {
                throw InputError("input '\(name)': 'datatype' must be one of \(supportedTypes.sorted().joined(separator: ", "))")
            }
            guard let raw = tensor["data"]?.array else { throw InputError("input '\(name)': 'data' must be an array") }
            let data = raw.flatMap { $0.array ?? [$0] }
            // The shape comes from the client: its product is checked, never trusted to fit an Int.
            var expected = 1
            for size in sizes {
                let (product, overflow) = expected.multipliedReportingOverflow(by: size)
                guard !overflow else { throw InputError("input '\(name)': shape \(sizes) has more elements than any body can carry") }
                expected = product
            }
            guard data.count == expected else {
                throw InputError("input '\(name)': shape \(sizes) needs \(expected) values, 'data' has \(data.count)")
            }
            if sizes.count == 2 && sizes[1] != 1 {
                guard inputs.count == 1, sizes[1] == features.inputs.count else {
                    throw InputError("input '\(name)': a [N, F] tensor must be the only input and have F = \(features.inputs.count) (the model's features)")
                }
                wide = (sizes[0], data)
            } else {
                columns[name] = data
            }
        }
        if let wide {
            let width = features.inputs.count
            return try features.table(rows: (0..<wide.rows).map { .array(Array(wide.data[$0 * width..<($0 + 1) * width])) })
        }
        return try features.table(columns: columns)
    }

    static let supportedTypes: Set<String> = ["BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64",
                                              "FP16", "FP32", "FP64", "BYTES"]
}
