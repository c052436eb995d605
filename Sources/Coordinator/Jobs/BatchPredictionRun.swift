import DistributedTraining
import Foundation
import Logging
import TrainyardML
import TrainyardProtocol

/// A batch prediction job on the job thread: the CSV file cut into slices of whole records
/// (``CSVSlicer``), each scored by a worker (PREDICT_REQUEST, the model sent once per worker),
/// and the output lines joined in input order under one header into the job's output file.
///
/// A worker that is lost, times out or cannot predict (an older worker) leaves the job and its
/// slices go to the others; a row the worker cannot read fails the job, naming its line.
struct BatchPredictionRun {
    let job: JobInfo
    let link: ClusterLink
    let settings: JobSettings
    let logger: Logger
    let cancelled: () -> Bool
    /// Saves progress (rows scored, slices done) after each wave.
    let progress: (JobInfo) -> Void

    /// Slices per worker the file is cut into (more balance the load, fewer cost less overhead).
    static let slicesPerWorker = 4
    static let sliceBytes = (256 << 10)...(32 << 20)

    /// Scores `dataPath` with the model file `modelBytes`; returns the job with its output file written.
    func run(modelBytes: [UInt8], dataPath: String, name: String) throws -> JobInfo {
        var job = self.job
        let model = try ModelFile.decode(modelBytes, path: name)
        let sha256 = FileFingerprint.sha256(modelBytes)
        let keep = job.predict?.keep ?? []
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dataPath), options: .alwaysMapped))
        let target = min(max(data.count / max(1, job.workers * Self.slicesPerWorker), Self.sliceBytes.lowerBound), Self.sliceBytes.upperBound)
        guard let (headerRange, slices) = CSVSlicer.slices(data, target: target) else {
            throw DatasetError.emptyFile(file: job.spec.data.dataset ?? job.spec.data.path)
        }
        let header = String(decoding: data[headerRange], as: UTF8.self)
        let dataName = job.spec.data.dataset ?? (job.spec.data.path as NSString).lastPathComponent
        var outputs = [[UInt8]?](repeating: nil, count: slices.count)
        var queue = Array(slices.indices)
        var workers = Array(link.aliveWorkers.prefix(job.workers))
        link.forgive(workers)                        // every worker gets the model with its first slice
        var holdsModel = Set<String>()
        var rows = 0
        let start = ContinuousClock.now
        let trafficBefore = link.traffic
        while !queue.isEmpty {
            if cancelled() { throw ClusterError.cancelled }
            if workers.isEmpty { workers = try waitForWorkers(job.workers) }
            var sent: [(worker: String, slice: Int, correlation: UInt64)] = []
            for (worker, slice) in zip(workers, queue) {
                let request = PredictRequest(slice: slice, model: sha256, header: header, firstLine: slices[slice].firstLine, keep: keep,
                                             name: dataName)
                let payload: [Payload] = [.uint8(holdsModel.contains(worker) ? [] : modelBytes), .uint8(Array(data[slices[slice].range]))]
                do {
                    sent.append((worker, slice, try link.send(ShardCalls.Predict.self, request, payload: payload, to: worker, job: job.id)))
                    holdsModel.insert(worker)
                } catch {
                    drop(worker, from: &workers, holdsModel: &holdsModel, job: &job, why: "lost")
                }
            }
            for (worker, slice, correlation) in sent {
                do {
                    let envelope = try link.await([correlation], timeout: settings.requestTimeout, cancelled: cancelled)[0]
                    let reply = try ClusterLink.decode(ShardCalls.Predict.self, envelope, from: worker)
                    guard reply.body.slice == slice, reply.payload.count == 1, reply.payload[0].dtype == .u8 else {
                        throw ClusterError.invalidReply(worker: worker, reason: "PREDICT_REPLY for slice \(reply.body.slice) "
                                                        + "with \(reply.payload.count) frames, expected slice \(slice) and one u8 frame")
                    }
                    outputs[slice] = reply.payload[0].values(as: UInt8.self)
                    rows += reply.body.rows
                    queue.removeAll { $0 == slice }
                } catch ClusterError.workersLost(let lost) {
                    for gone in lost { drop(gone, from: &workers, holdsModel: &holdsModel, job: &job, why: "lost") }
                } catch ClusterError.timeout(let late, _) {
                    drop(late, from: &workers, holdsModel: &holdsModel, job: &job, why: "timed out")
                } catch ClusterError.workerError(let refusing, let error)
                            where [.unsupportedMessage, .unknownMessageType, .unexpectedMessage].contains(error.code) {
                    drop(refusing, from: &workers, holdsModel: &holdsModel, job: &job, why: "cannot predict (\(error.message))")
                }
            }
            job.predict?.rowsDone = rows
            job.progress = TrainingProgress(round: slices.count - queue.count, totalRounds: slices.count, metric: "rows",
                                            train: Double(rows), valid: nil, elapsedSeconds: (ContinuousClock.now - start) / .seconds(1))
            let traffic = link.traffic
            job.bytesSent = traffic.sent - trafficBefore.sent
            job.bytesReceived = traffic.received - trafficBefore.received
            progress(job)
        }
        var output = Array((PredictionWriter(model: model).header(keep: keep) + "\n").utf8)
        output.reserveCapacity(output.count + outputs.reduce(0) { $0 + ($1?.count ?? 0) })
        for part in outputs { output += part! }
        let path = settings.modelsDirectory + "/job-\(job.id).predictions.csv"
        try FileManager.default.createDirectory(atPath: settings.modelsDirectory, withIntermediateDirectories: true)
        try AtomicFile.write(output, to: path)
        job.outputPath = path
        job.predict?.rows = rows
        return job
    }

    private func drop(_ worker: String, from workers: inout [String], holdsModel: inout Set<String>, job: inout JobInfo, why: String) {
        guard workers.contains(worker) else { return }
        workers.removeAll { $0 == worker }
        holdsModel.remove(worker)
        job.recoveries += 1
        logger.warning("batch prediction: a worker left the job; its slices go to the others", metadata: [
            "job": "\(job.id)", "worker": "\(worker)", "why": "\(why)"])
    }

    /// Live workers, once there are some (up to `wanted`); fails after ``JobSettings/workerWait``.
    private func waitForWorkers(_ wanted: Int) throws -> [String] {
        let deadline = ContinuousClock.now + settings.workerWait
        while ContinuousClock.now < deadline {
            if cancelled() { throw ClusterError.cancelled }
            let alive = link.aliveWorkers
            if !alive.isEmpty {
                link.forgive(Array(alive.prefix(wanted)))
                return Array(alive.prefix(wanted))
            }
            link.waitForMembershipChange(until: min(deadline, .now + .milliseconds(200)))
        }
        throw ClusterError.noWorkers(waited: settings.workerWait)
    }
}
