import TrainyardML

/// `text/csv` bodies of `POST /invocations` (as MLflow and SageMaker accept them): a header line naming the columns,
/// then one row per prediction. Columns are typed by the model (a categorical column of codes stays categorical);
/// columns the model does not use are ignored; a malformed row is refused naming its line.
public enum CSVInput {
    /// The table of a CSV body, typed by the model's features; 400 naming the line or the missing feature.
    public static func table(_ body: [UInt8], features: FeatureTable) throws(InputError) -> Table {
        var options = CSVOptions()
        options.kinds = Dictionary(features.inputs.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
        options.strictKinds = false
        options.threads = 1
        let table: Table
        do {
            table = try CSVReader.read(bytes: body, name: "the CSV body", options: options)
        } catch {
            throw InputError(error.description)
        }
        try features.check(csv: table)
        guard table.rows > 0 else { throw InputError("the CSV body has a header but no rows to predict") }
        return table
    }
}
