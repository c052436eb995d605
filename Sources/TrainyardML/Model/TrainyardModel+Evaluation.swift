/// Scoring a saved model on labelled data (`trainyard evaluate`, a pipeline's evaluation gate).
extension TrainyardModel {
    /// How to read labelled data for this model: its features with the kinds it was trained on
    /// (so category codes `1`, `2` stay categories), the label as numbers or classes.
    public func labelledCSVOptions(label: String? = nil) -> CSVOptions {
        var options = CSVOptions()
        options.kinds = preprocessor.columnKinds
        options.kinds[label ?? self.label.name] = self.label.classes == nil ? .numeric : .categorical
        options.strictKinds = false
        return options
    }

    /// Every metric of the model's objective on `table`'s rows, whose label column is `label`
    /// (default: the one the model was trained on). Throws ``DatasetError`` when the column is
    /// missing, ``LabelError`` for a label value the model does not know, ``PreprocessingError``
    /// when a feature is missing or of the wrong kind.
    public func metrics(on table: Table, label: String? = nil, threads: Int = 0) throws -> [String: Double] {
        let name = label ?? self.label.name
        guard let column = table[name] else { throw DatasetError.unknownColumn(file: "the data", name: name, available: table.names) }
        var encoding = self.label
        encoding.name = name
        let labels = try encoding.encode(column)
        return Metrics.all(for: objective, labels: labels, predictions: try predict(table, threads: threads))
    }
}
