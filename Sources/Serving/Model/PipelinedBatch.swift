import Dispatch
import Foundation
import TrainyardML

/// Predicts a `dataframe_split` batch while it is still being read.
///
/// ``DataframeSplitReader`` hands over every ``chunkRows`` rows as a table; from the second
/// chunk on, a helper thread predicts and writes out chunks as they arrive while the
/// request's task reads the rest, and once reading ends the task takes the remaining chunks
/// alongside the helper. Reading (one thread) and prediction (two) so overlap instead of
/// following each other. Each chunk is predicted on its own, so the result is exactly the
/// whole batch's.
///
/// The request's task never blocks on the helper: it awaits the helper's last chunk with a
/// continuation. The helper runs on a GCD thread, outside Swift's cooperative pool.
final class PipelinedBatch: @unchecked Sendable {
    /// Rows per chunk.
    static let chunkRows = 1024

    /// What a batch predicted: the JSON elements of its predictions array, the row count, and the rows with
    /// categories the model never saw, by feature.
    struct Result {
        var elements: String
        var rows: Int
        var unseen: [String: Int]
    }

    /// The batch's predictions, each chunk's written by `elements` (its predictions, rows)
    /// and joined with commas; nil when the body is not a `dataframe_split` batch the reader
    /// takes (the general path then decodes it), an ``InputError`` when a chunk cannot be
    /// predicted.
    static func predict(_ body: [UInt8], served: ServedModel,
                        elements: @escaping @Sendable ([Float], Int) -> String) async throws(InputError) -> Result? {
        guard DataframeSplitReader.opensWithDataframeSplit(body) else { return nil }
        let batch = PipelinedBatch(predictor: served.predictor, features: served.features, drift: served.drift,
                                   outputs: served.model.objective.outputGroups, elements: elements)
        let read = DataframeSplitReader.read(body, features: served.features, chunkRows: chunkRows) { batch.add($0) }
        batch.endReading(discard: !read)
        if read { batch.work() }
        await batch.helperFinished()
        guard read else { return nil }
        return try batch.result()
    }

    private let predictor: ModelPredictor
    private let features: FeatureTable
    /// Where each chunk's rows and predictions go for drift detection.
    private let drift: DriftMonitor?
    private let outputs: Int
    private let elements: @Sendable ([Float], Int) -> String
    /// Guards everything below.
    private let condition = NSCondition()
    /// Read chunks, each dropped once predicted.
    private var chunks: [Table?] = []
    private var nextChunk = 0
    /// Each chunk's written predictions, once done.
    private var results: [String?] = []
    private var rows = 0
    private var unseen: [String: Int] = [:]
    private var failure: PreprocessingError?
    private var reading = true
    private var helperStarted = false
    private var helperDone = false
    private var waiter: CheckedContinuation<Void, Never>?

    private init(predictor: ModelPredictor, features: FeatureTable, drift: DriftMonitor?, outputs: Int,
                 elements: @escaping @Sendable ([Float], Int) -> String) {
        self.predictor = predictor
        self.features = features
        self.drift = drift
        self.outputs = outputs
        self.elements = elements
    }

    /// A chunk read; the second one starts the helper.
    private func add(_ table: Table) {
        let chunkUnseen = features.unseenCategories(in: table)
        condition.lock()
        unseen.merge(chunkUnseen, uniquingKeysWith: +)
        chunks.append(table)
        results.append(nil)
        rows += table.rows
        let start = chunks.count == 2
        if start { helperStarted = true }
        condition.signal()
        condition.unlock()
        if start {
            DispatchQueue.global(qos: .userInitiated).async { self.helperLoop() }
        }
    }

    /// No more chunks; `discard` drops the ones not yet taken (the reader declined).
    private func endReading(discard: Bool) {
        condition.lock()
        reading = false
        if discard { nextChunk = chunks.count }
        condition.broadcast()
        condition.unlock()
    }

    /// Predicts chunks until none is left untaken (the request's share once reading ends).
    private func work() {
        condition.lock()
        drain()
        condition.unlock()
    }

    private func helperLoop() {
        condition.lock()
        while true {
            drain()
            guard reading else { break }
            condition.wait()
        }
        helperDone = true
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        waiter?.resume()
    }

    /// Resumes once the helper has stored its last chunk; returns at once, without
    /// suspending, if it never started (a declined body or a one-chunk batch).
    private func helperFinished() async {
        guard condition.withLock({ helperStarted && !helperDone }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if !helperStarted || helperDone {
                condition.unlock()
                continuation.resume()
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// Takes, predicts and stores chunks while there are untaken ones (the condition held on
    /// entry and exit, released while predicting).
    private func drain() {
        while let (index, table) = takeChunk() {
            condition.unlock()
            let outcome = run(table)
            condition.lock()
            store(outcome, at: index)
        }
    }

    /// One chunk predicted and written (the condition not held).
    private func run(_ table: Table) -> Swift.Result<String, PreprocessingError> {
        Swift.Result { () throws(PreprocessingError) in
            let predictions = try predictor.predict(table, threads: 1)
            drift?.record(table, predictions: predictions, outputs: outputs)
            return elements(predictions, table.rows)
        }
    }

    /// The next untaken chunk (the condition held).
    private func takeChunk() -> (Int, Table)? {
        guard nextChunk < chunks.count, let table = chunks[nextChunk] else { return nil }
        defer { nextChunk += 1 }
        return (nextChunk, table)
    }

    private func store(_ outcome: Swift.Result<String, PreprocessingError>, at index: Int) {
        switch outcome {
        case .success(let text): results[index] = text
        case .failure(let error): if failure == nil { failure = error }
        }
        chunks[index] = nil
    }

    /// The chunks' elements in order (all chunks done).
    private func result() throws(InputError) -> Result {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw InputError(failure.description) }
        var text = ""
        text.reserveCapacity(results.reduce(0) { $0 + ($1?.utf8.count ?? 0) } + results.count)
        for (index, chunk) in results.enumerated() {
            if index > 0 { text += "," }
            text += chunk ?? ""
        }
        return Result(elements: text, rows: rows, unseen: unseen)
    }
}
