import Foundation

/// The fitted steps from a raw ``Table`` (named, typed columns) to the model's dense feature
/// matrix. It is part of the model file so that prediction applies exactly the training steps.
public struct Preprocessor: Sendable, Equatable, Codable {
    /// What the preprocessing is fitted for: trees take missing values and raw scales,
    /// linear models need imputed, standardised inputs.
    public enum Target: String, Sendable, Codable {
        case trees, linear
    }

    /// Fitting choices.
    public struct Options: Sendable {
        /// Categorical columns with at most this many levels are one-hot encoded; larger
        /// ones get ordinal codes for trees and their most frequent `maxOneHot` levels one-hot for linear models.
        public var maxOneHot = 16
        /// Hashed TF-IDF columns per text column (0 leaves text columns out); `nil` sizes them from the
        /// vocabulary (``HashedTFIDF/bucketCount(vocabulary:limits:)``).
        public var textBuckets: Int?
        /// Tokens to terms and weights for text columns.
        public var text = TextSettings.standard
        /// Columns left out of the model (an id, a leak): kept in the model as dropped, so prediction data need not
        /// carry them.
        public var drop: Set<String> = []
        /// Threads for tokenizing text columns (0: all cores); the fit is the same for any count.
        public var threads = 0

        public init() {}
    }

    public var target: Target
    public var inputs: [InputColumn]

    /// Steps given directly (e.g. pass-through columns for an imported model).
    public init(target: Target, inputs: [InputColumn]) {
        self.target = target
        self.inputs = inputs
    }

    /// Names of the produced features, in matrix column order (`plan=basic` for one-hot).
    public var featureNames: [String] {
        inputs.flatMap { input -> [String] in
            switch input.transform {
            case .passthrough, .standardize, .ordinal: [input.name]
            case .oneHot(let levels, _): levels.map { "\(input.name)=\($0)" }
            case .hashedTFIDF(let idf, _): idf.indices.map { "\(input.name)#\($0)" }
            case .dropped: []
            }
        }
    }

    /// XGBoost's type of each produced feature, in ``featureNames``' order: `i` (a one-hot indicator), `int` (an
    /// ordinal category code) or `float` (numbers and TF-IDF weights).
    public var featureTypes: [String] {
        inputs.flatMap { input -> [String] in
            switch input.transform {
            case .passthrough, .standardize: ["float"]
            case .ordinal: ["int"]
            case .oneHot(let levels, _): Array(repeating: "i", count: levels.count)
            case .hashedTFIDF(let idf, _): Array(repeating: "float", count: idf.count)
            case .dropped: []
            }
        }
    }

    /// How many features ``transform(_:)`` produces: ``featureNames``' count, without building the names.
    public var featureCount: Int { inputs.reduce(0) { $0 + $1.transform.width } }

    /// The CSV column types to read prediction data with (so `1`, `2` stay category codes).
    public var columnKinds: [String: ColumnKind] {
        Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, $0.kind) })
    }

    /// Fits the steps on the training table (label already removed).
    public static func fit(_ table: Table, target: Target, options: Options = Options()) -> Preprocessor {
        let inputs = zip(table.names, table.columns).map { name, column -> InputColumn in
            if options.drop.contains(name) {
                return InputColumn(name: name, kind: column.kind, transform: .dropped(reason: "left out when training (--drop)"))
            }
            switch column {
            case .numeric(let values):
                guard target == .linear else { return InputColumn(name: name, kind: .numeric, transform: .passthrough) }
                return InputColumn(name: name, kind: .numeric, transform: standardization(values))
            case .categorical(let codes, let levels):
                let byFrequency = levelsByFrequency(codes: codes, levels: levels)
                // Linear models impute a missing category with the most frequent one.
                let imputed = target == .linear ? byFrequency.first : nil
                if byFrequency.count <= options.maxOneHot {
                    return InputColumn(name: name, kind: .categorical, transform: .oneHot(levels: byFrequency, imputed: imputed))
                }
                return InputColumn(name: name, kind: .categorical,
                                   transform: target == .trees ? .ordinal(levels: byFrequency)
                                                               : .oneHot(levels: Array(byFrequency.prefix(options.maxOneHot)), imputed: imputed))
            case .text(let documents):
                guard options.textBuckets != 0 else {
                    return InputColumn(name: name, kind: .text, transform: .dropped(reason: "text columns disabled (textBuckets = 0)"))
                }
                let idf = HashedTFIDF.fit(documents, buckets: options.textBuckets,
                                          limits: target == .linear ? Self.linearTextBuckets : Self.treeTextBuckets, settings: options.text,
                                          threads: options.threads)
                return InputColumn(name: name, kind: .text, transform: .hashedTFIDF(idf: idf, settings: options.text))
            }
        }
        return Preprocessor(target: target, inputs: inputs)
    }

    /// Sized text buckets for linear models, as scikit-learn's `HashingVectorizer` (2^20) at most: a bucket costs a
    /// weight and an IDF value in the model.
    public static let linearTextBuckets = 1 << 10...1 << 20
    /// Sized text buckets for trees, whose matrix is dense (one byte per row and bucket once binned).
    public static let treeTextBuckets = 1 << 6...1 << 10

    static func standardization(_ values: [Float]) -> ColumnTransform {
        let present = values.filter { !$0.isNaN }.sorted()
        guard !present.isEmpty else { return .standardize(median: 0, mean: 0, std: 1) }
        let median = present.count % 2 == 1 ? present[present.count / 2]
                                            : (present[present.count / 2 - 1] + present[present.count / 2]) / 2
        let filled = values.map { $0.isNaN ? median : $0 }
        let mean = filled.reduce(0.0) { $0 + Double($1) } / Double(filled.count)
        let variance = filled.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(filled.count)
        let std = variance > 0 ? variance.squareRoot() : 1
        return .standardize(median: median, mean: Float(mean), std: Float(std))
    }

    /// Levels most frequent first; ties keep first-appearance order.
    static func levelsByFrequency(codes: [Int32], levels: [String]) -> [String] {
        var counts = [Int](repeating: 0, count: levels.count)
        for code in codes where code >= 0 { counts[Int(code)] += 1 }
        return levels.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
            .filter { counts[$0] > 0 }.map { levels[$0] }
    }

    /// Applies the steps to a table with the same input columns (extra columns are ignored).
    /// Throws ``PreprocessingError`` naming a missing column or a column of the wrong type.
    public func transform(_ table: Table) throws(PreprocessingError) -> DenseMatrix {
        let width = featureCount
        var values = [Float](repeating: 0, count: table.rows * width)
        var offset = 0
        for input in inputs {
            guard input.transform.width > 0 else { continue }
            guard let column = table[input.name] else { throw .missingColumn(input.name) }
            switch (input.transform, column) {
            case (.passthrough, .numeric(let xs)):
                for (r, x) in xs.enumerated() { values[r * width + offset] = x }
            case (.standardize(let median, let mean, let std), .numeric(let xs)):
                for (r, x) in xs.enumerated() { values[r * width + offset] = ((x.isNaN ? median : x) - mean) / std }
            case (.oneHot(let levels, let imputed), .categorical(let codes, let tableLevels)):
                let position = Self.positions(of: levels, in: tableLevels)
                let missingPosition = imputed.flatMap { levels.firstIndex(of: $0) }
                for (r, code) in codes.enumerated() {
                    if let p = code >= 0 ? position[Int(code)] : missingPosition { values[r * width + offset + p] = 1 }
                }
            case (.hashedTFIDF(let idf, let settings), .text(let documents)):
                for (r, document) in documents.enumerated() {
                    for (bucket, weight) in HashedTFIDF.weights(of: document, idf: idf, settings: settings ?? .unigrams) {
                        values[r * width + offset + bucket] = weight
                    }
                }
            case (.ordinal(let levels), .categorical(let codes, let tableLevels)):
                let position = Self.positions(of: levels, in: tableLevels)
                for (r, code) in codes.enumerated() {
                    values[r * width + offset] = code >= 0 ? position[Int(code)].map(Float.init) ?? .nan : .nan
                }
            default:
                throw .wrongKind(input.name, expected: input.kind, found: column.kind)
            }
            offset += input.transform.width
        }
        return DenseMatrix(rows: table.rows, columns: width, values: values)
    }

    /// The same features as ``transform(_:)`` in sparse form: only non-zero entries are
    /// stored, so hashed TF-IDF and wide one-hot encodings stay small. Used by linear models.
    /// Tables of ``sparseBlockRows`` rows or more are built in row blocks on up to `threads`
    /// threads (0: all cores) and joined in order: the same matrix for any thread count.
    public func transformSparse(_ table: Table, threads: Int = 1) throws(PreprocessingError) -> SparseMatrix {
        var offsets: [Int] = []
        var offset = 0
        for input in inputs {
            offsets.append(offset)
            offset += input.transform.width
        }
        var columns: [SparseSource] = []
        for (input, start) in zip(inputs, offsets) where input.transform.width > 0 {
            guard let column = table[input.name] else { throw .missingColumn(input.name) }
            var positions: [Int?] = []
            var missing: Int?
            switch (input.transform, column) {
            case (.passthrough, .numeric), (.standardize, .numeric), (.hashedTFIDF, .text): break
            case (.oneHot(let levels, let imputed), .categorical(_, let tableLevels)):
                positions = Self.positions(of: levels, in: tableLevels)
                missing = imputed.flatMap { levels.firstIndex(of: $0) }
            case (.ordinal(let levels), .categorical(_, let tableLevels)):
                positions = Self.positions(of: levels, in: tableLevels)
            default:
                throw .wrongKind(input.name, expected: input.kind, found: column.kind)
            }
            columns.append(SparseSource(input: input, column: column, offset: start, positions: positions, missing: missing))
        }
        let workers = Parallel.resolve(threads: threads)
        guard workers > 1, table.rows >= Self.sparseBlockRows else {
            let block = Self.sparseRows(0..<table.rows, columns)
            return SparseMatrix(rows: table.rows, columns: featureCount, rowStarts: block.rowStarts,
                                indices: block.indices, values: block.values)
        }
        var blocks = [SparseBlock?](repeating: nil, count: workers)
        blocks.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachBlock(count: table.rows, threads: workers, minimumBlock: Self.sparseBlockRows / 2) { rows, worker in
                out[worker] = Self.sparseRows(rows, columns)
            }
        }
        var rowStarts = [0], indices: [Int32] = [], values: [Float] = []
        for block in blocks.compactMap({ $0 }) {
            let base = values.count
            rowStarts.append(contentsOf: block.rowStarts.dropFirst().map { $0 + base })
            indices.append(contentsOf: block.indices)
            values.append(contentsOf: block.values)
        }
        return SparseMatrix(rows: table.rows, columns: featureCount, rowStarts: rowStarts, indices: indices, values: values)
    }

    /// Rows below which ``transformSparse(_:threads:)`` stays on the calling thread.
    public static let sparseBlockRows = 2048

    /// One input column as ``transformSparse(_:threads:)`` reads it: where its features start
    /// and, for categories, each table level's position among the fitted ones.
    private struct SparseSource: Sendable {
        var input: InputColumn
        var column: Column
        var offset: Int
        var positions: [Int?]
        var missing: Int?
    }

    /// Part of a CSR matrix: `rowStarts` from 0, one more than its rows.
    private struct SparseBlock {
        var rowStarts = [0]
        var indices: [Int32] = []
        var values: [Float] = []
    }

    private static func sparseRows(_ rows: Range<Int>, _ columns: [SparseSource]) -> SparseBlock {
        var block = SparseBlock()
        block.rowStarts.reserveCapacity(rows.count + 1)
        for r in rows {
            for entry in columns {
                func add(_ index: Int, _ value: Float) {
                    if value != 0 { block.indices.append(Int32(entry.offset + index)); block.values.append(value) }
                }
                switch (entry.input.transform, entry.column) {
                case (.passthrough, .numeric(let xs)): add(0, xs[r])
                case (.standardize(let median, let mean, let std), .numeric(let xs)): add(0, ((xs[r].isNaN ? median : xs[r]) - mean) / std)
                case (.oneHot, .categorical(let codes, _)):
                    if let p = codes[r] >= 0 ? entry.positions[Int(codes[r])] : entry.missing { add(p, 1) }
                case (.ordinal, .categorical(let codes, _)):
                    add(0, codes[r] >= 0 ? entry.positions[Int(codes[r])].map(Float.init) ?? .nan : .nan)
                case (.hashedTFIDF(let idf, let settings), .text(let documents)):
                    for (bucket, weight) in HashedTFIDF.weights(of: documents[r], idf: idf, settings: settings ?? .unigrams) { add(bucket, weight) }
                default: break
                }
            }
            block.rowStarts.append(block.values.count)
        }
        return block
    }

    /// For each of the table's level codes, the index of that level in `levels` (or nil if unseen).
    /// Few comparisons (a small request) are searched directly; many go through a dictionary,
    /// which would otherwise be built on every call.
    static func positions(of levels: [String], in tableLevels: [String]) -> [Int?] {
        if tableLevels.count * levels.count <= 256 { return tableLevels.map { levels.firstIndex(of: $0) } }
        let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
        return tableLevels.map { index[$0] }
    }
}

/// Why a table does not fit a model's preprocessing.
public enum PreprocessingError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingColumn(String)
    case wrongKind(String, expected: ColumnKind, found: ColumnKind)

    public var description: String {
        switch self {
        case .missingColumn(let name): "the model needs column '\(name)', which the data does not have"
        case .wrongKind(let name, let expected, let found): "column '\(name)' must be \(expected.rawValue), found \(found.rawValue)"
        }
    }
}
