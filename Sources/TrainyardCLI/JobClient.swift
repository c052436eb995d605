import Coordinator
import Crypto
import DistributedTraining
import Foundation
import TrainyardML
import Tuning
import TrainyardProtocol
import ZeroMQ

/// The job API of a coordinator, for the CLI: one request and its decoded reply.
struct JobClient {
    let client: CoordinatorClient
    let timeout: Duration

    init(endpoint: String, timeout: Duration, curve: CurveClientKeys? = nil) throws {
        client = CoordinatorClient(endpoint: endpoint, context: try ZMQContext(), curve: curve)
        self.timeout = timeout
    }

    func call<Reply: Decodable>(_ type: MessageType, _ body: some Encodable, as _: Reply.Type) throws -> Reply {
        try request(type, body).decodeBody(Reply.self)
    }

    /// The reply message to one request; a refusal or transport failure as the one line to print.
    private func request(_ type: MessageType, _ body: some Encodable) throws -> Message {
        do {
            return try client.request(.encoding(type, body), timeout: timeout)
        } catch {
            if case .refused(let reply) = error { throw CommandFailure(reply.message) }
            throw CommandFailure(error.description)
        }
    }

    func submit(_ spec: TrainingSpec, workers: Int, modelName: String? = nil, study: StudyPlan? = nil) throws -> JobInfo {
        try call(.jobSubmit, JobSubmit(spec: spec, workers: workers, modelName: modelName, study: study), as: JobReply.self).job
    }

    func list() throws -> [JobInfo] {
        struct Empty: Encodable {}
        return try call(.jobList, Empty(), as: JobListReply.self).jobs
    }

    func show(_ id: UInt64, historyFrom: Int? = nil) throws -> JobReply {
        try call(.jobShow, JobRequest(id: id, historyFrom: historyFrom), as: JobReply.self)
    }

    func cancel(_ id: UInt64) throws -> JobInfo {
        try call(.jobCancel, JobRequest(id: id), as: JobReply.self).job
    }

    /// A succeeded job's model file, checked against the size and SHA-256 the coordinator
    /// sent with it and decoded (header, checksum, structure) before it is returned.
    func model(_ id: UInt64) throws -> (reply: JobModelReply, bytes: [UInt8]) {
        let (reply, bytes) = try file(.jobModel, .jobModelReply, id: id, as: JobModelReply.self, size: \.bytes, sha256: \.sha256, what: "model")
        do { _ = try ModelFile.decode(bytes, path: "job \(id)'s model") } catch { throw CommandFailure(error.description) }
        return (reply, bytes)
    }

    /// A file a job made (JOB_MODEL, JOB_OUTPUT): the reply and its one `u8` frame, checked against
    /// the size and SHA-256 the reply states.
    private func file<Reply: Decodable>(_ type: MessageType, _ replyType: MessageType, id: UInt64, as _: Reply.Type,
                                        size: KeyPath<Reply, Int>, sha256: KeyPath<Reply, String>, what: String) throws -> (Reply, [UInt8]) {
        let message = try request(type, JobRequest(id: id))
        guard message.type == replyType else { throw CommandFailure("the coordinator answered \(type) with \(message.type)") }
        let reply = try message.decodeBody(Reply.self)
        guard message.payload.count == 1, message.payload[0].dtype == .u8 else {
            throw CommandFailure("the coordinator's \(replyType) carries \(message.payload.count) payload frames (1 u8 frame expected)")
        }
        let bytes = message.payload[0].values(as: UInt8.self)
        guard bytes.count == reply[keyPath: size], SHA256.hash(data: bytes).hex == reply[keyPath: sha256] else {
            throw CommandFailure("job \(id)'s \(what) arrived damaged (\(bytes.count) of \(reply[keyPath: size]) bytes, or a different SHA-256); try again")
        }
        return (reply, bytes)
    }

    /// A succeeded batch prediction job's output file, checked against the size and SHA-256 the
    /// coordinator sent with it, written to `out` atomically; returns the job.
    func output(_ id: UInt64, to out: String) throws -> JobInfo {
        let (reply, bytes) = try file(.jobOutput, .jobOutputReply, id: id, as: JobOutputReply.self, size: \.bytes, sha256: \.sha256, what: "output")
        if out == "-" {
            FileHandle.standardOutput.write(Data(bytes))
        } else {
            try AtomicFile.write(bytes, to: out)
        }
        return reply.job
    }

    /// Downloads job `id`'s model and writes it to `out` atomically; returns the line to print.
    func download(_ id: UInt64, to out: String) throws -> String {
        let (reply, bytes) = try model(id)
        try AtomicFile.write(bytes, to: out)
        let job = reply.job
        let name = job.modelName.map { " (\($0)\(job.registryVersion.map { " version \($0)" } ?? ""))" } ?? ""
        return "wrote job \(id)'s model\(name) to \(out) (\(Format.bytes(bytes.count)), sha256 \(reply.sha256.prefix(12))…)"
    }

    /// Follows a job until it ends, calling `round` for every new round; returns the final job.
    /// A coordinator that restarts mid-watch is waited for (the job resumes there).
    func watch(_ id: UInt64, poll: Duration = .milliseconds(250), round: (TrainingProgress, JobInfo) -> Void) throws -> JobInfo {
        var next = 1
        var failures = 0
        while true {
            let reply: JobReply
            do {
                reply = try show(id, historyFrom: next)
                failures = 0
            } catch let error as CommandFailure where !error.description.hasPrefix("no job") && failures < 120 {
                failures += 1  // the coordinator may be restarting: keep trying for a minute
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            for progress in reply.history ?? [] where progress.round >= next {
                round(progress, reply.job)
                next = progress.round + 1
            }
            if reply.job.state.isFinal { return reply.job }
            Thread.sleep(forTimeInterval: poll.seconds)
        }
    }
}

extension JobClient {
    /// Follows a job (a study, a batch prediction) until it ends, calling `update` with every reply
    /// (a study's trials so far, the job's progress); returns the last. A coordinator that restarts mid-watch is waited for (the study resumes there).
    func follow(_ id: UInt64, poll: Duration = .milliseconds(500), update: (JobReply) -> Void) throws -> JobReply {
        var failures = 0
        while true {
            let reply: JobReply
            do {
                reply = try show(id, historyFrom: Int.max)
                failures = 0
            } catch let error as CommandFailure where !error.description.hasPrefix("no job") && failures < 120 {
                failures += 1
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            update(reply)
            if reply.job.state.isFinal { return reply }
            Thread.sleep(forTimeInterval: poll.seconds)
        }
    }
}

extension JobInfo {
    /// The fields `--json` prints.
    var jsonObject: [String: Any?] {
        ["id": id, "state": state.rawValue, "workers": workers, "assigned": assigned, "reason": reason,
         "submitted_at": submittedAt, "started_at": startedAt, "finished_at": finishedAt,
         "round": progress?.round, "total_rounds": progress?.totalRounds, "recoveries": recoveries,
         "model": modelPath, "metrics": metrics, "bytes_sent": bytesSent, "bytes_received": bytesReceived, "shard_bytes": shardBytes,
         "model_name": modelName, "registry_version": registryVersion, "publish_error": publishError,
         "data": spec.data.path, "dataset": spec.data.dataset, "label": spec.label, "estimator": spec.model.rawValue]
    }
}
