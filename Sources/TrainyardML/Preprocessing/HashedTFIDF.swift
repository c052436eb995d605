import Foundation

/// Text → tokens → word n-grams → hashed term counts → TF-IDF, normalised per row.
///
/// **Tokens** are the maximal runs of letters and digits — Unicode scalars that are alphabetic
/// or have a numeric type, in any script, each followed by any combining marks — lower-cased
/// by Unicode's full case mapping; everything else (punctuation, whitespace, symbols)
/// separates them. Tokens of fewer than two letters or digits are dropped, as by
/// scikit-learn's default `token_pattern`. "Don't" gives `don`; "naïve CAFÉ" gives `naïve`, `café`.
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
    public static func tokens(of text: String) -> [String] {
        let scan = TokenScan(text)
        return scan.ranges.map { String(decoding: scan.bytes[$0], as: UTF8.self) }
    }

    /// The 32-bit FNV-1a hashes of the terms of `text`, one per term occurrence: all n-grams
    /// starting at the first token, then at the second, and so on.
    public static func termHashes(of text: String, settings: TextSettings = .unigrams) -> [UInt32] {
        let scan = TokenScan(text)
        let tokens = scan.ranges
        var hashes: [UInt32] = []
        hashes.reserveCapacity(tokens.count * (settings.ngramMax - settings.ngramMin + 1))
        scan.bytes.withUnsafeBufferPointer { bytes in
            for start in tokens.indices {
                var hash = fnvOffset
                for n in 1...settings.ngramMax where start + n <= tokens.count {
                    if n > 1 { hash = (hash ^ 0x20) &* fnvPrime }
                    for index in tokens[start + n - 1] { hash = (hash ^ UInt32(bytes[index])) &* fnvPrime }
                    if n >= settings.ngramMin { hashes.append(hash) }
                }
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
    /// `bench/text`'s reviews that costs about half a point of accuracy against no collisions,
    /// where 4 a term cost more (BENCHMARKS.md).
    public static func bucketCount(vocabulary: Int, limits: ClosedRange<Int>) -> Int {
        var buckets = 1
        while buckets < bucketsPerTerm * vocabulary && buckets < limits.upperBound { buckets <<= 1 }
        return min(max(buckets, limits.lowerBound), limits.upperBound)
    }

    /// Smoothed IDF per bucket from the training documents.
    public static func fitIDF(_ documents: [String], buckets: Int, settings: TextSettings = .unigrams) -> [Float] {
        fit(documents.map { termHashes(of: $0, settings: settings) }, buckets: buckets)
    }

    /// The IDF of a text column fitted on its training documents over `buckets` buckets, or
    /// over ``bucketCount(vocabulary:limits:)`` when `buckets` is `nil`: the documents are
    /// tokenized once for both, in row blocks on up to `threads` threads (0: all cores).
    public static func fit(_ documents: [String], buckets: Int?, limits: ClosedRange<Int>, settings: TextSettings,
                           threads: Int = 1) -> [Float] {
        var terms = [[UInt32]](repeating: [], count: documents.count)
        terms.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachBlock(count: documents.count, threads: Parallel.resolve(threads: threads), minimumBlock: 1024) { rows, _ in
                for row in rows { out[row] = termHashes(of: documents[row], settings: settings) }
            }
        }
        return fit(terms, buckets: buckets ?? bucketCount(vocabulary: Set(terms.joined()).count, limits: limits))
    }

    private static func fit(_ terms: [[UInt32]], buckets: Int) -> [Float] {
        var documentFrequency = [Int](repeating: 0, count: buckets)
        var seen = [Int](repeating: -1, count: buckets)
        for (document, hashes) in terms.enumerated() {
            for hash in hashes {
                let bucket = Int(hash % UInt32(truncatingIfNeeded: buckets))
                if seen[bucket] != document {
                    seen[bucket] = document
                    documentFrequency[bucket] += 1
                }
            }
        }
        let n = Double(terms.count)
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

/// One pass over a text's Unicode scalars: the lower-cased UTF-8 of its tokens, back to back,
/// and each kept token's byte range (``HashedTFIDF``'s tokenizer). ASCII, most text, takes a
/// table-free fast path; other scalars ask their Unicode properties.
struct TokenScan {
    private(set) var bytes: [UInt8] = []
    private(set) var ranges: [Range<Int>] = []

    init(_ text: String) {
        bytes.reserveCapacity(text.utf8.count)
        var start = 0, letters = 0
        func end() {
            if letters >= 2 { ranges.append(start..<bytes.count) } else { bytes.removeSubrange(start...) }
            start = bytes.count
            letters = 0
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                let byte = UInt8(value)
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    bytes.append(byte)
                    letters += 1
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    bytes.append(byte + 32)
                    letters += 1
                default:
                    if letters > 0 || bytes.count > start { end() }
                }
                continue
            }
            let properties = scalar.properties
            if properties.isAlphabetic || properties.numericType != nil {
                bytes.append(contentsOf: properties.lowercaseMapping.utf8)
                letters += 1
            } else if letters > 0, [.nonspacingMark, .spacingMark, .enclosingMark].contains(properties.generalCategory) {
                bytes.append(contentsOf: String(scalar).utf8)
            } else if letters > 0 || bytes.count > start {
                end()
            }
        }
        end()
    }
}
