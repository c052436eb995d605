import Crypto
import TrainyardML
import ZeroMQ

/// A shard's encoded bytes (``ShardLayout``) as a sequence of array slices, made without
/// copying the rows: the coordinator hashes and ships them straight from its matrices.
///
/// Chunks that fall inside one slice are shipped as frames sharing the array's storage
/// (``ZMQFrame/init(adopting:bytes:)``); only a chunk that straddles two slices is copied.
public struct ShardBytes: Sendable {
    /// One array slice, in element units.
    enum Segment: Sendable {
        case float32([Float], Range<Int>)
        case int32([Int32], Range<Int>)
        case int64([Int64], Range<Int>)

        var byteCount: Int {
            switch self {
            case .float32(_, let range): range.count * 4
            case .int32(_, let range): range.count * 4
            case .int64(_, let range): range.count * 8
            }
        }

        /// Calls `body` with bytes `range` of the segment, in place.
        func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
            func bytes<T>(_ array: [T], _ elements: Range<Int>) -> R {
                array.withUnsafeBytes { all in
                    let start = elements.lowerBound * MemoryLayout<T>.stride
                    return body(UnsafeRawBufferPointer(rebasing: all[start + range.lowerBound..<start + range.upperBound]))
                }
            }
            return switch self {
            case .float32(let array, let elements): bytes(array, elements)
            case .int32(let array, let elements): bytes(array, elements)
            case .int64(let array, let elements): bytes(array, elements)
            }
        }

        /// A frame sharing bytes `range` of the segment with libzmq.
        func frame(_ range: Range<Int>) -> ZMQFrame {
            func adopt<T: BitwiseCopyable>(_ array: [T], _ elements: Range<Int>) -> ZMQFrame {
                let start = elements.lowerBound * MemoryLayout<T>.stride
                return ZMQFrame(adopting: array, bytes: start + range.lowerBound..<start + range.upperBound)
            }
            return switch self {
            case .float32(let array, let elements): adopt(array, elements)
            case .int32(let array, let elements): adopt(array, elements)
            case .int64(let array, let elements): adopt(array, elements)
            }
        }
    }

    let segments: [Segment]
    /// Byte offset of each segment's start, and the total at the end.
    private let offsets: [Int]

    init(_ segments: [Segment]) {
        self.segments = segments.filter { $0.byteCount > 0 }
        var offsets = [0]
        for segment in self.segments { offsets.append(offsets[offsets.count - 1] + segment.byteCount) }
        self.offsets = offsets
    }

    /// Rows `range` of `features` and `labels` in the dense layout (for trees).
    public static func dense(_ features: DenseMatrix, labels: [Float], rows range: Range<Int>) -> ShardBytes {
        ShardBytes([.float32(labels, range),
                    .float32(features.values, range.lowerBound * features.columns..<range.upperBound * features.columns)])
    }

    /// Rows `range` of `features` and `labels` in the CSR layout (for linear models); only the
    /// row starts, rebased to 0, are new arrays.
    public static func sparse(_ features: SparseMatrix, labels: [Float], rows range: Range<Int>) -> ShardBytes {
        let start = features.rowStarts[range.lowerBound], end = features.rowStarts[range.upperBound]
        let starts = features.rowStarts[range.lowerBound...range.upperBound].map { Int64($0 - start) }
        return ShardBytes([.float32(labels, range), .int64(starts, 0..<starts.count),
                           .int32(features.indices, start..<end), .float32(features.values, start..<end)])
    }

    /// The number of bytes.
    public var count: Int { offsets[offsets.count - 1] }

    /// Calls `body` with each contiguous piece of bytes `range`, in order.
    public func forEachPiece(of range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Void) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "bytes \(range) of \(count)")
        for (index, segment) in segments.enumerated() {
            let lower = max(range.lowerBound, offsets[index]), upper = min(range.upperBound, offsets[index + 1])
            if lower < upper { segment.withBytes(lower - offsets[index]..<upper - offsets[index], body) }
        }
    }

    /// Hex SHA-256 of bytes `range` (all of them by default).
    public func sha256(of range: Range<Int>? = nil) -> String {
        var hasher = SHA256()
        forEachPiece(of: range ?? 0..<count) { hasher.update(bufferPointer: $0) }
        return hasher.finalize().hex
    }

    /// A frame holding bytes `range`: the arrays' own storage when the range lies in one
    /// slice, else a copy.
    public func frame(_ range: Range<Int>) -> ZMQFrame {
        if let index = segments.indices.first(where: { offsets[$0] <= range.lowerBound && range.upperBound <= offsets[$0 + 1] }),
           !range.isEmpty {
            return segments[index].frame(range.lowerBound - offsets[index]..<range.upperBound - offsets[index])
        }
        return ZMQFrame(count: range.count) { buffer in
            var written = 0
            forEachPiece(of: range) { piece in
                UnsafeMutableRawBufferPointer(rebasing: buffer[written..<written + piece.count]).copyMemory(from: piece)
                written += piece.count
            }
        }
    }

    /// A copy of all the bytes.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        forEachPiece(of: 0..<count) { result.append(contentsOf: $0) }
        return result
    }
}
