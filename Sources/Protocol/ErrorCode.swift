/// Machine-readable reason carried by an ``ErrorReply`` (the `code` metadata field).
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    /// The sender's protocol version is not supported; the reply lists the supported ones.
    case versionMismatch = "version_mismatch"
    /// The frames do not form a valid message (bad magic, sizes, JSON...).
    case malformedMessage = "malformed_message"
    /// The type field names no known message type.
    case unknownMessageType = "unknown_message_type"
    /// The type is reserved in v1 but not implemented by the receiver.
    case unsupportedMessage = "unsupported_message"
    /// The message is valid but makes no sense from this sender in this state.
    case unexpectedMessage = "unexpected_message"
    /// The sender is not (or no longer) registered; it should send ``MessageType/register`` again.
    case unknownWorker = "unknown_worker"
    /// The registration was refused (e.g. an invalid worker id); the message says why.
    case registrationRefused = "registration_refused"
    /// The worker id is held by a live worker on another connection (another ZeroMQ routing
    /// id). The claim is refused until that worker is declared dead or leaves; the worker
    /// retries its registration after its reconnect back-off.
    case workerIDInUse = "worker_id_in_use"
    /// A field or parameter is outside its documented limit (docs/PROTOCOL.md, "Limits");
    /// the reply's ``ErrorReply/field`` and ``ErrorReply/limit`` name which and what.
    /// Nothing changed on the receiver; resending the same message cannot succeed.
    case limitExceeded = "limit_exceeded"
    /// A job request is invalid (missing file, unknown column, bad parameter, too few
    /// workers); the message names the problem and nothing was queued.
    case invalidRequest = "invalid_request"
    /// No job has the requested id.
    case notFound = "not_found"
    /// The worker does not hold the shard named in the request (it restarted, or the job
    /// was aborted); the coordinator ships the shard again.
    case unknownShard = "unknown_shard"
    /// A shard chunk or a whole shard did not match its SHA-256; the sender resends it.
    case checksumMismatch = "checksum_mismatch"
}
