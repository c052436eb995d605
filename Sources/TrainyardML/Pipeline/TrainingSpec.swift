/// Everything needed to train a model from files: the data, the label, the model family and
/// its parameters. `trainyard train` runs one locally; `trainyard submit train` sends one to
/// a coordinator, which persists it with the job.
public struct TrainingSpec: Sendable, Codable, Equatable {
    public var data: DatasetSource
    /// A validation file, read with the same options as ``data``.
    public var validationPath: String?
    /// Hold out this fraction of the training rows (stratified) instead.
    public var validFraction: Double?
    public var label: String
    public var model: TrainingRequest.ModelKind = .gbdt
    /// `nil` infers it from the label.
    public var objective: String?
    public var gbdt = GBDTParameters()
    public var linear = LinearParameters()
    public var maxOneHot = 16
    /// Hashed TF-IDF buckets per text column: `nil` sizes them from the vocabulary, 0 leaves text out.
    public var textBuckets: Int?
    /// N-grams, tf scaling and norm for text columns; `nil` is ``TextSettings/standard``.
    public var text: TextSettings?
    /// Columns left out of the model (`--drop`); `nil` or empty drops none.
    public var drop: [String]?

    public init(data: DatasetSource, label: String) {
        self.data = data
        self.label = label
    }

    /// Checks what can be checked without reading the data; throws ``ParameterError``
    /// naming the first invalid setting.
    public func validate() throws(ParameterError) {
        try data.validate()
        guard !label.isEmpty else { throw .invalid("label", "must name a column") }
        if validationPath != nil && validFraction != nil {
            throw .invalid("valid-fraction", "use either a validation file or a fraction, not both")
        }
        if let fraction = validFraction, !(fraction > 0 && fraction < 1) {
            throw .invalid("valid-fraction", "must be in (0, 1), got \(fraction)")
        }
        guard maxOneHot >= 0 else { throw .invalid("max-one-hot", "must be ≥ 0, got \(maxOneHot)") }
        if let textBuckets {
            guard textBuckets >= 0 else { throw .invalid("text-buckets", "must be ≥ 0, got \(textBuckets)") }
            if model == .gbdt && textBuckets > Self.maxTreeTextBuckets {
                throw .invalid("text-buckets", "trees take at most \(Self.maxTreeTextBuckets) buckets per text column (a dense column each), "
                                + "got \(textBuckets); wider text is for --model linear, the model recommended for text")
            }
        }
        if let problem = text?.problem { throw .invalid("text-ngrams", problem) }
        if let objective { _ = try Objective(name: objective, numClass: objective == "multi:softprob" ? 3 : nil) }
        switch model {
        case .gbdt: try gbdt.validate()
        case .linear: try linear.validate()
        }
    }

    /// The widest text a tree model takes: one dense column per bucket.
    public static let maxTreeTextBuckets = 4096

    /// Reads the training and validation tables (the validation set with the training
    /// set's column kinds).
    public func load() throws -> (train: Table, validation: Table?) {
        let train = try data.read()
        let kinds = Dictionary(uniqueKeysWithValues: zip(train.names, train.columns.map(\.kind)))
        let validation = try validationPath.map { try data.with(path: $0).read(extraKinds: kinds) }
        return (train, validation)
    }

    /// The pipeline request, recording the dataset's fingerprint and the software version.
    public func request(datasetSHA256: String?, software: String) -> TrainingRequest {
        var request = TrainingRequest(label: label)
        request.kind = model
        request.objective = objective
        request.gbdt = gbdt
        request.linear = linear
        request.validFraction = validFraction
        request.splitSeed = gbdt.seed
        request.preprocessing.maxOneHot = maxOneHot
        request.preprocessing.textBuckets = textBuckets
        request.preprocessing.text = text ?? .standard
        request.preprocessing.drop = Set(drop ?? [])
        request.datasetSHA256 = datasetSHA256
        request.software = software
        return request
    }
}
