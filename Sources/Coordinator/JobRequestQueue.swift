import DistributedTraining
import Dispatch
import Logging
import TrainyardProtocol

/// Answers the job API (`JOB_SUBMIT`, `JOB_LIST`, `JOB_SHOW`, `JOB_CANCEL`) off the
/// membership loop, so a slow disk, a large job table or a data file that takes long to
/// open never delays heartbeats or status replies.
///
/// Submissions run one at a time on their own queue, queries on another, both dispatch
/// queues rather than the cooperative pool, since they do blocking file and SQLite I/O.
/// Replies go back through `reply`, which must be thread-safe (the socket loop's `send`).
final class JobRequestQueue: Sendable {
    private let scheduler: JobScheduler
    private let logger: Logger
    private let submissions = DispatchQueue(label: "trainyard.coordinator.job-submissions")
    private let queries = DispatchQueue(label: "trainyard.coordinator.job-queries")

    init(scheduler: JobScheduler, logger: Logger) {
        self.scheduler = scheduler
        self.logger = logger
    }

    /// Answers `envelope` (one of the job API types) later, through `reply`.
    func answer(_ envelope: Envelope, reply: @escaping @Sendable (Message) -> Void) {
        let queue = envelope.message.type == .jobSubmit ? submissions : queries
        queue.async { [self] in reply(answer(envelope.message)) }
    }

    private func answer(_ message: Message) -> Message {
        do {
            switch message.type {
            case .jobSubmit:
                let request = try message.decodeBody(JobSubmit.self)
                return .encoding(.jobSubmitReply, JobReply(job: try scheduler.submit(request)))
            case .jobList:
                return .encoding(.jobListReply, JobListReply(jobs: try scheduler.list()))
            case .jobShow:
                return .encoding(.jobShowReply, try scheduler.show(try message.decodeBody(JobRequest.self)))
            default:
                return .encoding(.jobCancelReply, JobReply(job: try scheduler.cancel(try message.decodeBody(JobRequest.self).id)))
            }
        } catch let error as JobRequestError {
            return .error(error.reply)
        } catch let error as ProtocolError {
            return .error(ErrorReply(error))
        } catch {
            logger.error("job request failed", metadata: ["type": "\(message.type)", "error": "\(error)"])
            return .error(ErrorReply(code: .invalidRequest,
                                     message: "the coordinator could not answer \(message.type) (see the coordinator's log)"))
        }
    }
}
