/// A model version's review state. New versions are `pending`; only an `approved` version
/// can be promoted to `production`, and a `rejected` one cannot be promoted at all.
public enum ApprovalStatus: String, Sendable, Codable, CaseIterable {
    case pending, approved, rejected
}
