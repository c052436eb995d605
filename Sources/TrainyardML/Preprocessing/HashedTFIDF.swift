import Foundation

/// Text → tokens → hashed term counts → TF-IDF, L2-normalised per row.
///
/// Tokens are lower-cased runs of letters and digits of at least two characters (as
/// scikit-learn's default `token_pattern`); each is hashed with 32-bit FNV-1a into one of
/// `buckets` columns. The inverse document frequency is scikit-learn's smoothed
/// `ln((1 + n) / (1 + df)) + 1`, fitted on the training rows.
public enum HashedTFIDF {
    /// Bucket indices of the tokens of `text`, one entry per token occurrence.
    public static func buckets(of text: String, count: Int) -> [Int] {
        var result: [Int] = []
        for token in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) where token.count >= 2 {
            var hash: UInt32 = 0x811C_9DC5
            for byte in token.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
            result.append(Int(hash % UInt32(count)))
        }
        return result
    }

    /// Smoothed IDF per bucket from the training documents.
    public static func fitIDF(_ documents: [String], buckets: Int) -> [Float] {
        var documentFrequency = [Int](repeating: 0, count: buckets)
        for document in documents {
            for bucket in Set(Self.buckets(of: document, count: buckets)) { documentFrequency[bucket] += 1 }
        }
        let n = Double(documents.count)
        return documentFrequency.map { Float(log((1 + n) / (1 + Double($0))) + 1) }
    }

    /// Writes the L2-normalised TF-IDF vector of `text` into `row` (length `idf.count`).
    public static func transform(_ text: String, idf: [Float], into row: UnsafeMutableBufferPointer<Float>) {
        for i in row.indices { row[i] = 0 }
        for bucket in Self.buckets(of: text, count: idf.count) { row[bucket] += 1 }
        var norm: Float = 0
        for i in row.indices {
            row[i] *= idf[i]
            norm += row[i] * row[i]
        }
        guard norm > 0 else { return }
        let scale = 1 / norm.squareRoot()
        for i in row.indices { row[i] *= scale }
    }
}
