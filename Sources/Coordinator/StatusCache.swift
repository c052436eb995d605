import TrainyardProtocol
import ZeroMQ

/// The encoded `STATUS_REPLY` metadata, so a flood of status requests costs a header each
/// rather than a walk of the table and a JSON encoding each.
///
/// The metadata frame is built once and the same frame goes out in every reply (libzmq sends a
/// reference-counted copy): copying it per reply cost as much as building it, milliseconds for
/// a full table in a debug build.
///
/// It is rebuilt when older than `maxAge` (so `lastSeenSecondsAgo` and `uptimeSeconds` are at
/// most that stale) and after membership changes (``invalidate()``), but not sooner than four
/// times the last build took, and never later than `maxAge`: when peers register and leave
/// without pause while others ask for status, rebuilding for every request would take the
/// whole membership loop once the table holds hundreds of workers (found by
/// `CoordinatorPeerFuzzTests`: status answers fell seconds behind), while this way rebuilds take
/// at most a fifth of it. A change shows within that spacing, under a millisecond for a small table.
struct StatusCache {
    let maxAge: Duration
    private var metadata: ZMQFrame?
    private var builtAt: ContinuousClock.Instant?
    /// Membership changed since the last build.
    private var changed = false
    /// How long the last build took.
    private var buildTime: Duration = .zero

    init(maxAge: Duration) { self.maxAge = maxAge }

    mutating func invalidate() { changed = true }

    /// Whether the view must be built again at `now`.
    func needsBuild(now: ContinuousClock.Instant) -> Bool {
        guard metadata != nil, let builtAt else { return true }
        let age = now - builtAt
        return age > maxAge || (changed && age >= min(buildTime * 4, maxAge))
    }

    /// The frames of a reply with `correlationID` (after the routing id).
    mutating func reply(correlationID: UInt64, membership: Membership, now: ContinuousClock.Instant) -> [ZMQFrame] {
        if needsBuild(now: now) {
            let started = ContinuousClock.now
            metadata = WireCodec.encode(Envelope(.statusReply(membership.status(now: now))))[1]
            builtAt = now
            changed = false
            buildTime = ContinuousClock.now - started
        }
        let header = Header(type: .statusReply, frameCount: 1, jobID: 0, correlationID: correlationID)
        return [header.encode(), metadata!]
    }
}
