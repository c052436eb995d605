/// The bounds on what a coordinator accepts from a peer, documented in docs/PROTOCOL.md
/// ("Limits"). Anything outside them is refused with ``ErrorCode/limitExceeded`` before it
/// is stored, logged or queued, so no peer can make the coordinator hold, print or compute
/// an unbounded amount on its behalf.
public enum WireLimits {
    /// Largest metadata frame of a membership or control message (`REGISTER`, `HEARTBEAT`,
    /// `DEREGISTER`, `STATUS_REQUEST`, …): 64 KiB.
    public static let controlMetadataBytes = 64 << 10
    /// Largest metadata frame of a job API request (`JOB_SUBMIT`, `JOB_LIST`, `JOB_SHOW`, `JOB_CANCEL`, `JOB_MODEL`): 1 MiB.
    public static let jobMetadataBytes = 1 << 20

    /// `REGISTER.host`: at most 255 bytes (a DNS name is at most 253).
    public static let hostBytes = 255
    /// `REGISTER.software`: at most 255 bytes.
    public static let softwareBytes = 255
    /// `REGISTER.cores`: 1...4096.
    public static let cores = 1...4096
    /// `REGISTER.pid`: 0...Int32.max (a process id is never negative).
    public static let pid: ClosedRange<Int32> = 0...Int32.max
    /// `DEREGISTER.reason`: at most 1024 bytes.
    public static let reasonBytes = 1024

    /// The largest metadata frame the coordinator reads for a message of `type`, or `nil`
    /// for training replies, whose size is bounded by the job (trees, histograms) and by
    /// the socket's maximum message size.
    public static func metadataBytes(for type: MessageType) -> Int? {
        switch type.rawValue >> 8 {
        case 0x00: controlMetadataBytes
        case 0x03, 0x06: jobMetadataBytes
        default: nil
        }
    }
}

extension Register {
    /// Checks every field against ``WireLimits`` (the worker id's own rule,
    /// ``isValidWorkerID(_:)``, is checked separately); throws the first violation.
    public func checkLimits() throws(LimitViolation) {
        try LimitViolation.check("workerID", workerID, maxBytes: 255, nonEmpty: true)
        try LimitViolation.check("host", host, maxBytes: WireLimits.hostBytes)
        try LimitViolation.check("software", software, maxBytes: WireLimits.softwareBytes)
        try LimitViolation.check("cores", cores, in: WireLimits.cores)
        try LimitViolation.check("pid", pid, in: WireLimits.pid)
    }
}

extension Deregister {
    /// Checks `reason` against ``WireLimits/reasonBytes``.
    public func checkLimits() throws(LimitViolation) {
        try LimitViolation.check("reason", reason, maxBytes: WireLimits.reasonBytes)
    }
}
