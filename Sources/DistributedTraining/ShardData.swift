import TrainyardML

/// A shard's rows and labels as a worker holds them, decoded from the bytes shipped
/// (``ShardBytes`` makes those bytes on the coordinator; see ``ShardLayout``).
public enum ShardData: Sendable {
    case dense(DenseMatrix, labels: [Float])
    case sparse(SparseMatrix, labels: [Float])

    public var layout: ShardLayout {
        switch self {
        case .dense: .denseF32
        case .sparse: .csrF32
        }
    }

    public var rows: Int {
        switch self {
        case .dense(let m, _): m.rows
        case .sparse(let m, _): m.rows
        }
    }

    public var columns: Int {
        switch self {
        case .dense(let m, _): m.columns
        case .sparse(let m, _): m.columns
        }
    }

    /// Decodes shipped bytes; throws ``ShardError/malformed(_:)`` if they do not fit `descriptor`.
    public static func decode(_ bytes: [UInt8], as descriptor: ShardDescriptor) throws(ShardError) -> ShardData {
        var reader = Reader(bytes: bytes)
        let rows = descriptor.rows, columns = descriptor.columns
        let labels: [Float] = try reader.take(rows)
        switch descriptor.layout {
        case .denseF32:
            let values: [Float] = try reader.take(rows * columns)
            try reader.expectEnd()
            return .dense(DenseMatrix(rows: rows, columns: columns, values: values), labels: labels)
        case .csrF32:
            let starts: [Int64] = try reader.take(rows + 1)
            let nnz = Int(starts.last ?? 0)
            guard starts.first == 0, nnz >= 0, zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw .malformed("CSR row starts are not ascending from 0")
            }
            let indices: [Int32] = try reader.take(nnz)
            let values: [Float] = try reader.take(nnz)
            try reader.expectEnd()
            guard indices.allSatisfy({ $0 >= 0 && Int($0) < columns }) else {
                throw .malformed("a CSR column index is outside 0..<\(columns)")
            }
            return .sparse(SparseMatrix(rows: rows, columns: columns, rowStarts: starts.map(Int.init), indices: indices, values: values),
                           labels: labels)
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func take<T: BitwiseCopyable>(_ count: Int) throws(ShardError) -> [T] {
            let size = count * MemoryLayout<T>.stride
            guard count >= 0, offset + size <= bytes.count else {
                throw .malformed("expected \(count) more \(T.self) values at byte \(offset) of \(bytes.count)")
            }
            let result = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + size]))
                }
                initialized = count
            }
            offset += size
            return result
        }

        func expectEnd() throws(ShardError) {
            guard offset == bytes.count else { throw .malformed("\(bytes.count - offset) bytes left over after the rows") }
        }
    }
}

/// Why a shard could not be received.
public enum ShardError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case checksumMismatch(chunk: Int?, expected: String, actual: String)
    case outOfOrder(String)

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed shard: \(reason)"
        case .checksumMismatch(let chunk, let expected, let actual):
            "\(chunk.map { "chunk \($0)" } ?? "shard") checksum mismatch: expected sha256 \(expected), got \(actual)"
        case .outOfOrder(let reason): "shard transfer out of order: \(reason)"
        }
    }
}
