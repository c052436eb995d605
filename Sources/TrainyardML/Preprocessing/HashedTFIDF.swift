import Foundation

/// Text → tokens → word n-grams → hashed term counts → TF-IDF, normalised per row.
///
/// **Tokens** are the text lower-cased (`String.lowercased()`, full Unicode case mapping) and
/// split at every character that is neither a letter nor a digit (`Character.isLetter`,
/// `isNumber`, so any script and its punctuation); tokens shorter than two characters are
/// dropped, as by scikit-learn's default `token_pattern`. "Don't" gives `don`; "naïve café"
/// gives `naïve`, `café`.
///
/// **Terms** are the n-grams of consecutive tokens for n in ``TextSettings/ngramMin`` …
/// ``TextSettings/ngramMax``, joined by one space ("not boring"); the tokens of "it's not
/// boring" with 1–2-grams give `it`, `not`, `boring`, `it not`, `not boring` (the dropped `s`
/// does not break a pair). Each term is hashed with 32-bit FNV-1a over its UTF-8 bytes into
/// one of `buckets` columns (hash mod buckets).
///
/// **Weights**: the term count per bucket (or `1 + ln(count)` with
/// ``TextSettings/sublinearTF``), times the bucket's inverse document frequency, scikit-learn's
/// smoothed `ln((1 + n) / (1 + df)) + 1` fitted on the training rows; the row is then
/// L2-normalised (``TextSettings/norm``). With 1-grams, no sublinear tf and L2 this is
/// scikit-learn's `TfidfVectorizer()` up to hash collisions.
public enum HashedTFIDF {
    static let fnvOffset: UInt32 = 0x811C_9DC5
    static let fnvPrime: UInt32 = 0x0100_0193
    /// Buckets per distinct training term when the count is sized from the vocabulary.
    public static let bucketsPerTerm = 8

    /// The tokens of `text`.
    public static func tokens(of text: String) -> [Substring] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).filter { $0.count >= 2 }
    }

    /// The 32-bit FNV-1a hashes of the terms of `text`, one per term occurrence: all n-grams
    /// starting at the first token, then at the second, and so on.
    public static func termHashes(of text: String, settings: TextSettings = .unigrams) -> [UInt32] {
        let tokens = tokens(of: text)
        var hashes: [UInt32] = []
        hashes.reserveCapacity(tokens.count * (settings.ngramMax - settings.ngramMin + 1))
        for start in tokens.indices {
            var hash = fnvOffset
            for n in 1...settings.ngramMax where start + n <= tokens.count {
                if n > 1 { hash = (hash ^ 0x20) &* fnvPrime }
                for byte in tokens[start + n - 1].utf8 { hash = (hash ^ UInt32(byte)) &* fnvPrime }
                if n >= settings.ngramMin { hashes.append(hash) }
            }
        }
        return hashes
    }

    /// Bucket indices of the terms of `text`, one entry per term occurrence.
    public static func buckets(of text: String, count: Int, settings: TextSettings = .unigrams) -> [Int] {
        termHashes(of: text, settings: settings).map { Int($0 % UInt32(truncatingIfNeeded: count)) }
    }

    /// Distinct terms (by their 32-bit hash) in `documents`: the vocabulary the bucket count is sized from.
    public static func vocabularySize(_ documents: [String], settings: TextSettings) -> Int {
        var seen = Set<UInt32>()
        for document in documents { seen.formUnion(termHashes(of: document, settings: settings)) }
        return seen.count
    }

    /// The bucket count when none is given: the next power of two at or above ``bucketsPerTerm``
    /// per distinct term, within `limits` (``Preprocessor/linearTextBuckets``,
    /// ``Preprocessor/treeTextBuckets``). At 8 buckets a term, a term shares its bucket with
    /// another with probability 1 − e^(−1/8) ≈ 12 %, at most (a power of two above); on
    /// `bench/text`'s reviews that costs under half a point of accuracy against no collisions,
    /// where 4 a term cost more (BENCHMARKS.md).
    public static func bucketCount(vocabulary: Int, limits: ClosedRange<Int>) -> Int {
        var buckets = 1
        while buckets < bucketsPerTerm * vocabulary && buckets < limits.upperBound { buckets <<= 1 }
        return min(max(buckets, limits.lowerBound), limits.upperBound)
    }

    /// Smoothed IDF per bucket from the training documents.
    public static func fitIDF(_ documents: [String], buckets: Int, settings: TextSettings = .unigrams) -> [Float] {
        var documentFrequency = [Int](repeating: 0, count: buckets)
        for document in documents {
            for bucket in Set(Self.buckets(of: document, count: buckets, settings: settings)) { documentFrequency[bucket] += 1 }
        }
        let n = Double(documents.count)
        return documentFrequency.map { Float(log((1 + n) / (1 + Double($0))) + 1) }
    }

    /// The non-zero weights of `text`'s row, by ascending bucket.
    public static func weights(of text: String, idf: [Float], settings: TextSettings = .unigrams) -> [(bucket: Int, weight: Float)] {
        var buckets = buckets(of: text, count: idf.count, settings: settings)
        guard !buckets.isEmpty else { return [] }
        buckets.sort()
        var row: [(bucket: Int, weight: Float)] = []
        var start = 0
        while start < buckets.count {
            var end = start + 1
            while end < buckets.count && buckets[end] == buckets[start] { end += 1 }
            let count = Float(end - start)
            let tf = settings.sublinearTF ? 1 + log(count) : count
            row.append((buckets[start], tf * idf[buckets[start]]))
            start = end
        }
        if settings.norm == .l2 {
            let norm = row.reduce(Float(0)) { $0 + $1.weight * $1.weight }.squareRoot()
            if norm > 0 { for i in row.indices { row[i].weight /= norm } }
        }
        return row
    }

    /// Writes the TF-IDF vector of `text` into `row` (length `idf.count`).
    public static func transform(_ text: String, idf: [Float], settings: TextSettings = .unigrams, into row: UnsafeMutableBufferPointer<Float>) {
        for i in row.indices { row[i] = 0 }
        for (bucket, weight) in weights(of: text, idf: idf, settings: settings) { row[bucket] = weight }
    }
}
