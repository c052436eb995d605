import Crypto
import Synchronization
import TrainyardML

/// Bin cuts agreed for a feature matrix, kept for the next job on the same rows: the trials
/// of a study compute them once. Keyed by the matrix's SHA-256 (its shape and values) and
/// `maxBin`, so trials whose preprocessing differs never share cuts.
final class CutsCache: Sendable {
    private let cuts = Mutex<[String: QuantileCuts]>([:])

    subscript(key: String) -> QuantileCuts? {
        get { cuts.withLock { $0[key] } }
        set { cuts.withLock { $0[key] = newValue } }
    }

    /// The key of `features` binned into at most `maxBin` bins.
    static func key(_ features: DenseMatrix, maxBin: Int) -> String {
        var hasher = SHA256()
        withUnsafeBytes(of: (Int64(features.rows), Int64(features.columns), Int64(maxBin))) { hasher.update(bufferPointer: $0) }
        features.values.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
