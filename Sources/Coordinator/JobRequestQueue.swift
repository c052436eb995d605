import Crypto
import DistributedTraining
import Dispatch
import Logging
import TrainyardProtocol
import ZeroMQ

/// Answers the job API (`JOB_SUBMIT`, `JOB_LIST`, `JOB_SHOW`, `JOB_CANCEL`, `JOB_MODEL`) off the
/// membership loop, so a slow disk, a large job table or a data file that takes long to
/// open never delays heartbeats or status replies.
///
/// Submissions run one at a time on their own queue, queries on another, both dispatch
/// queues rather than the cooperative pool, since they do blocking file and SQLite I/O.
/// Requests are decoded there too: their metadata may be up to 1 MiB of JSON
/// (``WireLimits/jobMetadataBytes``), tens of milliseconds to parse that the membership loop
/// does not spend. Replies go back through `reply`, which must be thread-safe (the socket
/// loop's `send`).
final class JobRequestQueue: Sendable {
    private let scheduler: JobScheduler
    /// Nil without a registry: pipeline requests are refused, naming what to configure.
    private let pipelines: PipelineRunner?
    private let logger: Logger
    private let submissions = DispatchQueue(label: "trainyard.coordinator.job-submissions")
    private let queries = DispatchQueue(label: "trainyard.coordinator.job-queries")

    init(scheduler: JobScheduler, pipelines: PipelineRunner?, logger: Logger) {
        self.scheduler = scheduler
        self.pipelines = pipelines
        self.logger = logger
    }

    /// Decodes `frames` (a job API request, header first; `header` is its decoded first frame)
    /// and answers it later, through `reply`: an undecodable request with the error naming why.
    func answer(_ frames: ArraySlice<ZMQFrame>, header: Header, peer: PeerID, reply: @escaping @Sendable (Message) -> Void) {
        let queue = header.type == .jobSubmit ? submissions : queries
        queue.async { [self] in reply(response(to: frames, from: peer)) }
    }

    private func response(to frames: ArraySlice<ZMQFrame>, from peer: PeerID) -> Message {
        do throws(ProtocolError) {
            return response(to: try WireCodec.decode(frames).message)
        } catch {
            logger.warning("refused a malformed message", metadata: ["peer": "\(peer)", "error": "\(error)"])
            return .error(ErrorReply(error))
        }
    }

    private func response(to message: Message) -> Message {
        do {
            if message.type.rawValue >> 8 == 0x06 { return try pipelineResponse(to: message) }
            switch message.type {
            case .jobSubmit:
                let request = try message.decodeBody(JobSubmit.self)
                return .encoding(.jobSubmitReply, JobReply(job: try scheduler.submit(request)))
            case .jobList:
                return .encoding(.jobListReply, JobListReply(jobs: try scheduler.list()))
            case .jobShow:
                return .encoding(.jobShowReply, try scheduler.show(try message.decodeBody(JobRequest.self)))
            case .jobModel:
                let (job, bytes) = try scheduler.model(try message.decodeBody(JobRequest.self).id)
                return .encoding(.jobModelReply, JobModelReply(job: job, bytes: bytes.count, sha256: SHA256.hash(data: bytes).hex),
                                 payload: [.uint8(bytes)])
            case .jobOutput:
                let (job, bytes) = try scheduler.output(try message.decodeBody(JobRequest.self).id)
                return .encoding(.jobOutputReply, JobOutputReply(job: job, bytes: bytes.count, sha256: SHA256.hash(data: bytes).hex),
                                 payload: [.uint8(bytes)])
            default:
                return .encoding(.jobCancelReply, JobReply(job: try scheduler.cancel(try message.decodeBody(JobRequest.self).id)))
            }
        } catch let error as JobRequestError {
            return .error(error.reply)
        } catch let error as LimitViolation {
            return .error(ErrorReply(error))
        } catch let error as ProtocolError {
            return .error(ErrorReply(error))
        } catch {
            logger.error("job request failed", metadata: ["type": "\(message.type)", "error": "\(error)"])
            return .error(ErrorReply(code: .invalidRequest,
                                     message: "the coordinator could not answer \(message.type) (see the coordinator's log)"))
        }
    }

    /// The pipeline API (§6.4).
    private func pipelineResponse(to message: Message) throws -> Message {
        guard let pipelines else {
            throw JobRequestError.invalid("pipelines need a registry: start the coordinator with --registry URL or --registry-listen ADDR")
        }
        switch message.type {
        case .pipelineApply:
            return .encoding(.pipelineApplyReply, try pipelines.apply(try message.decodeBody(PipelineApply.self)))
        case .pipelineList:
            return .encoding(.pipelineListReply, PipelineListReply(pipelines: try pipelines.list()))
        case .pipelineShow:
            return .encoding(.pipelineShowReply, PipelineReply(pipeline: try pipelines.show(try message.decodeBody(PipelineRequest.self).name)))
        case .pipelineRun:
            return .encoding(.pipelineRunReply, PipelineRunReply(run: try pipelines.run(try message.decodeBody(PipelineRequest.self))))
        case .pipelineRuns:
            return .encoding(.pipelineRunsReply, PipelineRunsReply(runs: try pipelines.runs(try message.decodeBody(PipelineRequest.self).name)))
        case .pipelineRunShow:
            return .encoding(.pipelineRunShowReply, try pipelines.showRun(try message.decodeBody(PipelineRunRequest.self).id))
        default:
            return .encoding(.pipelineRunCancelReply,
                             PipelineRunReply(run: try pipelines.cancelRun(try message.decodeBody(PipelineRunRequest.self).id)))
        }
    }
}
