import TrainyardML

/// One version of a named dataset in the registry's dataset store: the file's content address
/// and size, its schema, and the data-quality profile computed when it was uploaded.
public struct DatasetVersion: Sendable, Codable, Equatable {
    /// A column of the schema: its name and the kind the CSV reader inferred.
    public struct Column: Sendable, Codable, Equatable {
        public var name: String
        public var kind: ColumnKind

        public init(name: String, kind: ColumnKind) {
            self.name = name
            self.kind = kind
        }
    }

    public var name: String
    /// 1, 2, … per name, in upload order.
    public var version: Int
    /// Lower-case hex SHA-256 of the file: the same content uploaded again is the same version.
    public var sha256: String
    public var bytes: Int
    public var rows: Int
    public var columns: [Column]
    /// `trainyard data profile` of the file, computed at upload.
    public var profile: DataProfile
    /// Unix seconds.
    public var createdAt: Double
    /// The uploaded file's name, and the token that uploaded it.
    public var filename: String?
    public var actor: String?

    /// `name@version`, as `--dataset` takes it.
    public var reference: String { "\(name)@\(version)" }
}

/// A dataset's name and its versions, newest first.
public struct RegisteredDataset: Sendable, Codable, Equatable {
    public var name: String
    public var versions: [DatasetVersion]

    public init(name: String, versions: [DatasetVersion]) {
        self.name = name
        self.versions = versions
    }
}

/// `name[@version]`: a dataset as `--dataset` names it; no version means the latest.
public struct DatasetReference: Sendable, Codable, Equatable, CustomStringConvertible {
    public var name: String
    public var version: Int?

    public init(name: String, version: Int? = nil) {
        self.name = name
        self.version = version
    }

    /// Parses `churn` or `churn@3`; throws naming what is wrong.
    public init(parsing text: String) throws(RegistryError) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        try ModelName.validate(parts[0], kind: "dataset name")
        name = parts[0]
        if parts.count == 2 {
            guard let number = Int(parts[1]), number > 0 else {
                throw .invalidRequest("dataset '\(text.prefix(80))': the version after '@' must be a positive integer")
            }
            version = number
        }
    }

    public var description: String { version.map { "\(name)@\($0)" } ?? name }
}
