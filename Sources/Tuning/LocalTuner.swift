import Foundation
import Synchronization
import TrainyardML

/// Runs a ``Study`` in this process: up to `parallel` trials at once, each on its own thread
/// training a model on the shared tables with the trial's parameters, its boosting rounds
/// reported to the study's scheduler (which may stop it).
///
/// The data is read once for the study; every trial splits off the same validation rows
/// (the spec's validation file, or its `validFraction` with its seed), so trials are compared
/// on the same rows.
public struct LocalTuner: Sendable {
    /// What happened, for progress displays.
    public enum Event: Sendable {
        case started(TrialRecord)
        /// A trial ended (complete, pruned or failed); `best` is the study's best complete trial so far.
        case finished(TrialRecord, seconds: Double, best: TrialRecord?)
    }

    public let base: TrainingSpec
    public let metric: TuningMetric
    /// Threads each trial trains with (0: the machine's cores divided among parallel trials).
    public let threadsPerTrial: Int
    /// Whether the study's scheduler judges rounds (ASHA, the median rule): each round then
    /// computes the study's metric on the validation rows (an AUC is a sort of them), else only
    /// the objective's loss.
    public let judgesRounds: Bool

    public init(base: TrainingSpec, metric: TuningMetric, threadsPerTrial: Int = 0, judgesRounds: Bool = true) {
        self.base = base
        self.metric = metric
        self.threadsPerTrial = threadsPerTrial
        self.judgesRounds = judgesRounds
    }

    /// Runs `study` to the end over `train` (and `validation`); returns the finished study and
    /// the best complete trial's model.
    public func run(_ study: Study, train: Table, validation: Table?, software: String, datasetSHA256: String?,
                    onEvent: @escaping @Sendable (Event) -> Void = { _ in }) -> (study: Study, best: TrainyardModel?) {
        let shared = Shared(study)
        let models = Shared<[Int: TrainyardModel]>([:])
        let threads = threadsPerTrial > 0 ? threadsPerTrial
            : max(1, ProcessInfo.processInfo.activeProcessorCount / study.parallel)
        let group = DispatchGroup()
        for _ in 0..<study.parallel {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while let trial = shared.withLock({ $0.startTrial() }) {
                    onEvent(.started(trial))
                    let start = ContinuousClock.now
                    let outcome = train1(trial, train: train, validation: validation, threads: threads, study: shared,
                                         software: software, datasetSHA256: datasetSHA256)
                    let value = outcome.flatMap { $0.metrics[metric.name] }
                    if let model = outcome?.model, value != nil { models.withLock { $0[trial.id] = model } }
                    let (record, best) = shared.withLock { study in
                        study.finish(trial: trial.id, value: value, failed: value == nil)
                        return (study.trials[trial.id], study.best)
                    }
                    onEvent(.finished(record, seconds: (ContinuousClock.now - start) / .seconds(1), best: best))
                }
            }
            thread.name = "trainyard-trial"
            thread.start()
        }
        group.wait()
        let finished = shared.withLock { $0 }
        return (finished, finished.best.flatMap { best in models.withLock { $0[best.id] } })
    }

    /// One trial: the base spec with the trial's parameters, trained with its rounds reported.
    private func train1(_ trial: TrialRecord, train: Table, validation: Table?, threads: Int, study: Shared<Study>,
                        software: String, datasetSHA256: String?) -> TrainingPipeline.Outcome? {
        do {
            var spec = try TrainingParameterNames.apply(trial.parameters, to: base)
            spec.gbdt.threads = threads
            spec.linear.threads = threads
            // Rounds are judged on the study's own metric, so a scheduler keeps what the study is looking for.
            if judgesRounds { spec.gbdt.evalMetric = String(metric.name.dropFirst("valid.".count)) }
            try spec.validate()
            let stopped = Atomic(false)
            let engine = LocalEngine(shouldStop: { stopped.load(ordering: .relaxed) })
            let request = spec.request(datasetSHA256: datasetSHA256, software: software)
            return try TrainingPipeline.run(train: train, validation: validation, request: request, engine: engine,
                                            linearIterations: judgesRounds) { progress in
                guard judgesRounds, let value = progress.valid else { return }
                let loss = metric.direction.loss(value)
                if study.withLock({ $0.report(trial: trial.id, resource: progress.round, loss: loss) }) == .stop {
                    stopped.store(true, ordering: .relaxed)
                }
            }
        } catch {
            return nil
        }
    }
}

/// A value behind a lock, shared by reference between trial threads.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
