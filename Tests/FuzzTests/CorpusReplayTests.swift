import Foundation
import FuzzTargets
import Testing

/// Replays every input kept under `Tests/Fuzz/corpus/<target>/` (by `bench/fuzz/run.sh`) through the target's
/// entry, without sanitizers: inputs that once found new paths, or crashed, keep doing no harm.
@Suite struct CorpusReplayTests {
    @Test("the seeds replay without a crash", arguments: FuzzTarget.allCases)
    func seedsReplay(_ target: FuzzTarget) {
        for seed in target.seeds { target.run(seed) }
    }
}
