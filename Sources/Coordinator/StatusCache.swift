import TrainyardProtocol
import ZeroMQ

/// The encoded `STATUS_REPLY` metadata, so a flood of status requests costs a header each
/// rather than a walk of the table and a JSON encoding each.
///
/// It is rebuilt when membership changes (``invalidate()``) or when older than `maxAge`
/// (so `lastSeenSecondsAgo` and `uptimeSeconds` are at most that stale).
struct StatusCache {
    let maxAge: Duration
    private var metadata: [UInt8]?
    private var builtAt: ContinuousClock.Instant?

    init(maxAge: Duration) { self.maxAge = maxAge }

    mutating func invalidate() { metadata = nil }

    /// The frames of a reply with `correlationID` (after the routing id).
    mutating func reply(correlationID: UInt64, membership: Membership, now: ContinuousClock.Instant) -> [ZMQFrame] {
        if metadata == nil || builtAt.map({ now - $0 > maxAge }) ?? true {
            metadata = WireCodec.encode(Envelope(.statusReply(membership.status(now: now))))[1].bytes
            builtAt = now
        }
        let header = Header(type: .statusReply, frameCount: 1, jobID: 0, correlationID: correlationID)
        return [header.encode(), ZMQFrame(bytes: metadata!)]
    }
}
