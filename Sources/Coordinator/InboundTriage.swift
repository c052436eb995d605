import DistributedTraining
import TrainyardProtocol

/// What the membership loop does with a message before decoding it, from its header and the
/// size of its metadata frame alone.
///
/// Decoding parses the metadata JSON, and the loop also answers `STATUS_REQUEST` and
/// heartbeats, so it only decodes what is cheap to decode: metadata within the control bound
/// (``WireLimits/controlMetadataBytes``, 64 KiB). A peer could otherwise hold it up for as long
/// as it takes to parse what it sent — a megabyte of JSON numbers is tens of milliseconds in a
/// debug build, and training replies and reserved types have no bound of their own below the
/// socket's 1 GiB (found by `CoordinatorPeerFuzzTests`: status took hundreds of milliseconds).
/// Anything larger is refused at its type's bound, decoded where it is needed, or answered
/// from its header.
enum InboundTriage: Equatable {
    /// Decode on the loop: the metadata is within the control bound (or the header is unreadable,
    /// which decoding reports at once).
    case decodeHere
    /// Over the bound of its type (docs/PROTOCOL.md §11): refuse with `limit_exceeded`.
    case refuse(LimitViolation)
    /// A job API request within its 1 MiB bound: decoded and answered on the job request queue.
    case jobRequest
    /// A training reply with large metadata (a worker's tree): decode it only if the job asked
    /// this peer for it (the correlation id is pending); drop it unread otherwise.
    case largeTrainingReply
    /// A type the coordinator never takes (reserved, or one it sends itself) with large
    /// metadata: answer from the header alone, as that type is answered whatever its metadata.
    case answerFromHeader

    /// The training replies a job waits for (§6.2).
    static let trainingReplies = ShardCalls.replyTypes
    /// The job API requests (§6.3) and the pipeline API requests (§6.4).
    static let jobRequests: Set<MessageType> = [.jobSubmit, .jobList, .jobShow, .jobCancel, .jobModel, .jobOutput,
                                                .pipelineApply, .pipelineList, .pipelineShow, .pipelineRun, .pipelineRuns,
                                                .pipelineRunShow, .pipelineRunCancel]

    /// The triage of a message of `header` whose metadata frame is `metadataBytes` long.
    static func of(_ header: Header, metadataBytes: Int) -> InboundTriage {
        if let limit = WireLimits.metadataBytes(for: header.type), metadataBytes > limit {
            return .refuse(LimitViolation(field: "metadata", limit: "≤ \(limit) bytes",
                                          actual: "\(metadataBytes) bytes of \(header.type) metadata"))
        }
        if jobRequests.contains(header.type) { return .jobRequest }
        if metadataBytes <= WireLimits.controlMetadataBytes { return .decodeHere }
        return trainingReplies.contains(header.type) ? .largeTrainingReply : .answerFromHeader
    }

    /// The error a type the coordinator never takes is answered with.
    static func refusal(of type: MessageType) -> ErrorReply {
        type.isDefinedInV1 ? ErrorReply(.unexpected(type))
            : ErrorReply(code: .unsupportedMessage,
                         message: "\(type) is reserved in protocol v1 but this coordinator does not implement it yet")
    }
}
