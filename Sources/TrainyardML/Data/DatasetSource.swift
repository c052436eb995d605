import Foundation

/// A dataset file and how to read it: what a training job names instead of holding rows.
public struct DatasetSource: Sendable, Codable, Equatable {
    public var path: String
    /// `csv` or `libsvm`; `nil` picks LIBSVM for `.libsvm`, `.svm` and `.txt` files, else CSV.
    public var format: String?
    /// CSV columns forced to a kind; the others are inferred.
    public var categorical: [String] = []
    public var text: [String] = []
    public var numeric: [String] = []
    /// Skip malformed rows instead of failing (they are listed in ``Table/skippedLines``).
    public var skipBadRows = false
    /// A dataset of the registry's store, `name` or `name@version`, to train on instead of `path`
    /// (jobs only: the coordinator fetches it, pins the version and sets `path` to its copy).
    public var dataset: String?

    public init(path: String, format: String? = nil) {
        self.path = path
        self.format = format
    }

    /// The same reading options for another file (a validation set).
    public func with(path: String) -> DatasetSource {
        var copy = self
        copy.path = path
        return copy
    }

    /// Throws ``ParameterError`` for a format other than `csv` or `libsvm`.
    public func validate() throws(ParameterError) {
        if let format, !["csv", "libsvm"].contains(format) {
            throw .invalid("format", "must be csv or libsvm, got '\(format)'")
        }
    }

    public var isLIBSVM: Bool {
        format.map { $0 == "libsvm" } ?? ["libsvm", "svm", "txt"].contains(URL(fileURLWithPath: path).pathExtension)
    }

    /// CSV options with the forced kinds; `extraKinds` (e.g. the training set's inferred
    /// kinds, for a validation set) apply where no kind is forced.
    public func csvOptions(extraKinds: [String: ColumnKind] = [:]) -> CSVOptions {
        var options = CSVOptions()
        options.skipBadRows = skipBadRows
        options.kinds = extraKinds
        for (names, kind) in [(numeric, ColumnKind.numeric), (categorical, .categorical), (text, .text)] {
            for name in names { options.kinds[name.trimmingCharacters(in: .whitespaces)] = kind }
        }
        return options
    }

    /// The column names, from the header line alone (LIBSVM: `label`, `f0`, `f1`, …; the
    /// feature names are not known without reading the file, so only `label` is listed).
    public func header() throws -> [String] {
        try validate()
        if isLIBSVM { return ["label"] }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatasetError.unreadable(file: path, reason: "no such file or no permission")
        }
        defer { try? handle.close() }
        var bytes: [UInt8] = []
        while !bytes.contains(UInt8(ascii: "\n")), let block = try handle.read(upToCount: 65536), !block.isEmpty {
            bytes += block
        }
        if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) { bytes = Array(bytes[...newline]) }
        return try CSVReader.read(bytes: bytes, name: path, options: csvOptions()).names
    }

    /// Reads the file; throws ``DatasetError`` (with file and line) or ``ParameterError``.
    public func read(extraKinds: [String: ColumnKind] = [:], minimumFeatures: Int = 0) throws -> Table {
        try read(options: csvOptions(extraKinds: extraKinds), minimumFeatures: minimumFeatures)
    }

    /// Reads the file with explicit CSV `options` (its `skipBadRows` applies to LIBSVM too).
    public func read(options: CSVOptions, minimumFeatures: Int = 0) throws -> Table {
        try validate()
        return isLIBSVM ? try LIBSVMReader.read(path: path, skipBadRows: options.skipBadRows, minimumFeatures: minimumFeatures)
                        : try CSVReader.read(path: path, options: options)
    }
}
