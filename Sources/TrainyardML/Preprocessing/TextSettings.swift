import Foundation

/// How a text column becomes terms and weights (see ``HashedTFIDF``): fitted choices stored
/// with the column's transform, so serving applies exactly the training steps.
public struct TextSettings: Sendable, Equatable, Codable {
    /// Row normalisation after TF-IDF weighting.
    public enum Norm: String, Sendable, Codable, CaseIterable {
        /// Each row scaled to unit Euclidean length (scikit-learn's default).
        case l2
        /// Raw TF-IDF weights.
        case none
    }

    /// Shortest and longest word n-gram: 1…1 words alone, 1…2 words and pairs ("not boring").
    public var ngramMin: Int
    public var ngramMax: Int
    /// `1 + ln(count)` instead of the count (scikit-learn's `sublinear_tf`).
    public var sublinearTF: Bool
    public var norm: Norm

    /// The largest n-gram length accepted.
    public static let maxNgram = 3
    /// Words alone, raw counts, L2: the only transform of models written before n-grams (and of
    /// a model file whose text transform names no settings).
    public static let unigrams = TextSettings(ngramMin: 1, ngramMax: 1, sublinearTF: false, norm: .l2)
    /// What training uses unless told otherwise: words and word pairs, sublinear tf, L2 (chosen on
    /// `bench/text`, see BENCHMARKS.md).
    public static let standard = TextSettings(ngramMin: 1, ngramMax: 2, sublinearTF: true, norm: .l2)

    public init(ngramMin: Int, ngramMax: Int, sublinearTF: Bool, norm: Norm) {
        self.ngramMin = ngramMin
        self.ngramMax = ngramMax
        self.sublinearTF = sublinearTF
        self.norm = norm
    }

    /// Why the settings cannot be used, or `nil`.
    public var problem: String? {
        guard 1 <= ngramMin, ngramMin <= ngramMax, ngramMax <= Self.maxNgram else {
            return "n-grams must satisfy 1 ≤ min ≤ max ≤ \(Self.maxNgram), got \(ngramMin)-\(ngramMax)"
        }
        return nil
    }

    /// The n-gram range of `N` or `MIN-MAX` (`--text-ngrams`), unchecked (see ``problem``), or `nil` if it is neither.
    public static func ngramRange(_ text: String) -> (min: Int, max: Int)? {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(bounds.count), let low = bounds[0], let high = bounds[bounds.count - 1] else { return nil }
        return (low, high)
    }
}
