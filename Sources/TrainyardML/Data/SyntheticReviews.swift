/// A seeded set of movie reviews labelled `positive` or `negative`, for the sentiment demo,
/// tests and `bench/text`.
///
/// It is built so that words alone do not decide a review, as in real review sets: about a
/// third of the opinion phrases are negated ("not boring", "never funny"), mixed reviews
/// praise one thing and pan another before their verdict, neutral filler sentences carry
/// no signal, and a few labels are flipped. A unigram model sees "boring" in "not boring"
/// and in "boring" alike; word pairs tell them apart.
public enum SyntheticReviews {
    static let positive = ["great", "wonderful", "brilliant", "moving", "gripping", "funny", "charming", "superb",
                           "clever", "beautiful", "delightful", "excellent", "memorable", "fresh", "touching",
                           "stunning", "enjoyable", "smart", "thrilling", "heartfelt", "engaging", "powerful",
                           "entertaining", "original", "solid", "inventive", "warm", "sharp", "rewarding", "lovely"]
    static let negative = ["boring", "dull", "awful", "terrible", "predictable", "bland", "clumsy", "tedious",
                           "forgettable", "messy", "lifeless", "silly", "flat", "pointless", "weak", "shallow",
                           "annoying", "painful", "slow", "stale", "dreadful", "confusing", "lazy", "cheap",
                           "hollow", "uneven", "bloated", "grating", "sloppy", "disappointing"]
    static let aspects = ["acting", "plot", "script", "soundtrack", "dialogue", "pacing", "ending", "cast",
                          "direction", "cinematography", "story", "humor", "score", "editing", "lead performance",
                          "characters", "visual effects", "screenplay", "final act", "opening"]
    static let subjects = ["the movie", "this film", "it", "the whole thing", "the picture", "this one"]
    static let intensifiers = ["", "", "", "really ", "very ", "truly ", "quite ", "so ", "pretty ", "incredibly "]
    static let negations = ["not", "never", "hardly", "not at all", "far from", "anything but"]
    static let names = ["Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemal",
                        "Lena", "Marco", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tamar", "Umar", "Vera",
                        "Wanda", "Xavier", "Yara", "Zoltan", "Amelie", "Bjorn", "Carmen", "Dario", "Emeka", "Freya"]
    static let roles = ["detective", "teacher", "pilot", "chef", "widow", "boxer", "painter", "smuggler", "nurse",
                        "journalist", "farmer", "priest", "hacker", "sailor", "judge", "runaway", "twin", "banker",
                        "drummer", "soldier", "thief", "scientist", "mayor", "lawyer"]
    static let places = ["Lisbon", "a mining town", "Tokyo", "a small island", "the desert", "Berlin", "a space station",
                         "the suburbs", "a ski resort", "Marseille", "a prison", "the countryside", "Cairo", "a submarine",
                         "New Orleans", "a boarding school", "Reykjavik", "a circus", "the Andes", "a hospital"]
    static let fillers = ["I watched it on a Sunday afternoon with friends.", "It runs about two hours.",
                          "The trailer had me curious.", "I saw it at a late showing.", "My sister picked it.",
                          "It is based on a novel I have not read.", "The theater was half empty.",
                          "I went in knowing nothing about it.", "It came out last spring.",
                          "The director's previous work is well known.", "We rented it for the weekend.",
                          "There is a short scene after the credits."]

    /// CSV text with a header `review,sentiment` and `rows` reviews (each quoted); `noise` is
    /// the fraction of flipped labels.
    public static func csv(rows: Int, seed: UInt64, noise: Double = 0.02) -> String {
        var lines = ["review,sentiment"]
        lines.reserveCapacity(rows + 1)
        var random = SplitMix64(seed: seed)
        for _ in 0..<rows {
            let (text, positive) = review(&random)
            let flipped = Double(random.next() >> 11) / Double(1 << 53) < noise
            lines.append("\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"," + (positive != flipped ? "positive" : "negative"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One review and whether it is positive.
    static func review(_ random: inout SplitMix64) -> (String, Bool) {
        func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        let isPositive = uniform() < 0.5
        // An opinion of `polarity`, said directly or as the negation of the opposite word.
        func opinion(_ polarity: Bool) -> String {
            let negated = uniform() < 0.3
            let word = pick(polarity != negated ? positive : negative)
            let adjective = negated ? "\(pick(negations)) \(word)" : "\(pick(intensifiers))\(word)"
            switch random.next() % 5 {
            case 0: return "The \(pick(aspects)) was \(adjective)."
            case 1: return "\(capitalized(pick(subjects))) is \(adjective)."
            case 2: return "I found the \(pick(aspects)) \(adjective)."
            case 3: return "Honestly the \(pick(aspects)) felt \(adjective)."
            default: return "\(capitalized(pick(subjects))) was \(adjective) from start to finish."
            }
        }
        var sentences: [String] = []
        if uniform() < 0.7 {
            sentences.append("\(pick(names)) plays a \(pick(roles)) in \(pick(places)), opposite \(pick(names)) as a \(pick(roles)).")
        }
        let opinions = 3 + Int(random.next() % 5)
        let mixed = uniform() < 0.1
        for index in 0..<opinions {
            // A mixed review's asides go against its verdict, which comes last and agrees with the label.
            if mixed && index == opinions - 1 {
                sentences.append("But in the end " + opinion(isPositive).lowercasedFirst)
            } else {
                let agrees = mixed ? uniform() < 0.4 : uniform() < 0.9
                sentences.append(opinion(agrees ? isPositive : !isPositive))
            }
            if uniform() < 0.3 { sentences.append(uniform() < 0.5 ? pick(fillers) : "\(pick(names)) is \(pick(["in", "from", "near"])) \(pick(places)).") }
        }
        return (sentences.joined(separator: " "), isPositive)
    }

    private static func capitalized(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }
}

extension String {
    /// The sentence with its first letter lower-cased, unless it starts with the pronoun "I".
    fileprivate var lowercasedFirst: String { hasPrefix("I ") ? self : prefix(1).lowercased() + dropFirst() }
}
