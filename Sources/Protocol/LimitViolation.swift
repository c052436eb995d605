/// A field or parameter received over the wire that is outside its documented limit
/// (docs/PROTOCOL.md, "Limits").
///
/// It never quotes the offending value, only its size or magnitude, so an oversized or
/// hostile field is not echoed back or logged. ``ErrorReply/init(_:)-(LimitViolation)``
/// turns it into a `limit_exceeded` reply.
public struct LimitViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field's wire name, e.g. `host` or `spec.gbdt.trees`.
    public var field: String
    /// The limit as text, e.g. `"≤ 255 bytes"` or `"1...100000"`.
    public var limit: String
    /// What arrived, described without its contents, e.g. `"16777216 bytes"` or `"4611686018427387904"`.
    public var actual: String

    public init(field: String, limit: String, actual: String) {
        self.field = field
        self.limit = limit
        self.actual = actual
    }

    public var description: String { "\(field) is out of range: got \(actual), the limit is \(limit)" }

    /// Throws unless `string` is at most `maxBytes` UTF-8 bytes (and, with `nonEmpty`, at least one).
    public static func check(_ field: String, _ string: String, maxBytes: Int, nonEmpty: Bool = false) throws(LimitViolation) {
        let count = string.utf8.count
        if count > maxBytes || (nonEmpty && count == 0) {
            throw LimitViolation(field: field, limit: nonEmpty ? "1–\(maxBytes) bytes" : "≤ \(maxBytes) bytes",
                                 actual: "\(count) bytes")
        }
    }

    /// Throws unless `value` lies in `range`.
    public static func check<T: BinaryInteger>(_ field: String, _ value: T, in range: ClosedRange<T>) throws(LimitViolation) {
        guard range.contains(value) else {
            throw LimitViolation(field: field, limit: "\(range.lowerBound)...\(range.upperBound)", actual: "\(value)")
        }
    }

    /// Throws unless `list` has at most `maxCount` entries, each at most `maxBytes` UTF-8 bytes.
    public static func check(_ field: String, _ list: [String], maxCount: Int, maxBytes: Int) throws(LimitViolation) {
        guard list.count <= maxCount else {
            throw LimitViolation(field: field, limit: "≤ \(maxCount) entries", actual: "\(list.count) entries")
        }
        for (index, entry) in list.enumerated() { try check("\(field)[\(index)]", entry, maxBytes: maxBytes) }
    }
}
