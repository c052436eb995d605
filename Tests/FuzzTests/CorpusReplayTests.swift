import Foundation
import FuzzTargets
import Testing

/// Replays every input kept under `Tests/Fuzz/corpus/<target>/` (by `bench/fuzz/run.sh`) through the target's
/// entry, without sanitizers: inputs that once found new paths, or crashed, keep doing no harm.
@Suite struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    @Test("the corpus replays without a crash", arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) throws {
        let folder = Self.corpus.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        #expect(!files.isEmpty, "no corpus for \(target) in \(folder.path)")
        for file in files {
            target.run([UInt8](try Data(contentsOf: file)))
        }
    }

    @Test("the seeds replay without a crash", arguments: FuzzTarget.allCases)
    func seedsReplay(_ target: FuzzTarget) {
        for seed in target.seeds { target.run(seed) }
    }
}
