/// What a token may do, each role including the ones before it: `reader` reads (registry metadata and artifacts,
/// a replica's prediction log, the proxy's backend list), `publisher` also publishes model versions, `approver`
/// also approves or rejects versions and moves aliases (promote, rollback), `admin` may do everything.
public enum AccessRole: String, Sendable, Codable, CaseIterable, Comparable {
    case reader, publisher, approver, admin

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: AccessRole, rhs: AccessRole) -> Bool { lhs.rank < rhs.rank }
}
