/// How one raw input column becomes model features. Fitted on training data, stored in
/// the model file, applied unchanged at prediction time.
public enum ColumnTransform: Sendable, Equatable, Codable {
    /// A number passed through; missing stays missing (trees learn where it goes).
    case passthrough
    /// Missing replaced by the training median, then `(x − mean) / std` (linear models).
    case standardize(median: Float, mean: Float, std: Float)
    /// One 0/1 feature per level. Unseen levels set none; missing values set the indicator of
    /// `imputed` (the most frequent training level, for linear models) or none (`nil`, trees).
    case oneHot(levels: [String], imputed: String?)
    /// The level's index in `levels` (most frequent first) as a number; missing and unseen are missing.
    case ordinal(levels: [String])
    /// Free text as hashed TF-IDF over `idf.count` buckets (see ``HashedTFIDF``); `settings`
    /// absent (models written before n-grams) is ``TextSettings/unigrams``.
    case hashedTFIDF(idf: [Float], settings: TextSettings? = nil)
    /// The column is not used, with the reason.
    case dropped(reason: String)

    /// Features this transform produces.
    public var width: Int {
        switch self {
        case .passthrough, .standardize, .ordinal: 1
        case .oneHot(let levels, _): levels.count
        case .hashedTFIDF(let idf, _): idf.count
        case .dropped: 0
        }
    }
}

/// A raw input column the model expects: name, type and transform.
public struct InputColumn: Sendable, Equatable, Codable {
    public var name: String
    public var kind: ColumnKind
    public var transform: ColumnTransform

    /// An input column and its transform.
    public init(name: String, kind: ColumnKind, transform: ColumnTransform) {
        self.name = name
        self.kind = kind
        self.transform = transform
    }
}
