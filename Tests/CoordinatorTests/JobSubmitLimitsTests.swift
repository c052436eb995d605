import DistributedTraining
import Testing
import TrainyardML
import TrainyardProtocol

/// `JOB_SUBMIT` fields outside ``JobSubmitLimits`` are refused naming the field and the limit.
struct JobSubmitLimitsTests {
    func submit(_ change: (inout JobSubmit) -> Void) -> JobSubmit {
        var request = JobSubmit(spec: TrainingSpec(data: DatasetSource(path: "/data/x.csv"), label: "y"), workers: 1)
        change(&request)
        return request
    }

    @Test func theDefaultsAreWithinTheLimits() throws {
        try submit { _ in }.checkLimits()
    }

    @Test func eachOutOfRangeFieldIsNamed() {
        let cases: [(String, String, (inout JobSubmit) -> Void)] = [
            ("spec.gbdt.trees", "1...100000", { $0.spec.gbdt.trees = 1 << 62 }),
            ("workers", "1...1024", { $0.workers = 1 << 40 }),
            ("spec.gbdt.maxDepth", "1...16", { $0.spec.gbdt.maxDepth = 64 }),
            ("spec.gbdt.maxBin", "2...256", { $0.spec.gbdt.maxBin = 1 << 20 }),
            ("spec.gbdt.threads", "0...1024", { $0.spec.gbdt.threads = 1 << 30 }),
            ("spec.gbdt.earlyStoppingRounds", "1...100000", { $0.spec.gbdt.earlyStoppingRounds = 1 << 40 }),
            ("spec.gbdt.objective.numClass", "2...1000", { $0.spec.gbdt.objective = .softprob(numClass: 1 << 20) }),
            ("spec.gbdt.trees", "trees × classes ≤ 100000", { $0.spec.gbdt.trees = 1000; $0.spec.gbdt.objective = .softprob(numClass: 101) }),
            ("spec.linear.maxIterations", "1...100000", { $0.spec.linear.maxIterations = Int.max }),
            ("spec.textBuckets", "0...1048576", { $0.spec.textBuckets = 1 << 30 }),
            ("spec.maxOneHot", "0...1024", { $0.spec.maxOneHot = 1 << 30 }),
            ("spec.data.path", "1–4096 bytes", { $0.spec.data.path = String(repeating: "p", count: 5000) }),
            ("spec.label", "1–1024 bytes", { $0.spec.label = String(repeating: "l", count: 2000) }),
            ("spec.data.text", "≤ 10000 entries", { $0.spec.data.text = Array(repeating: "c", count: 10_001) }),
            ("spec.data.categorical[1]", "≤ 1024 bytes", { $0.spec.data.categorical = ["a", String(repeating: "c", count: 1025)] }),
            ("modelName", "1–64 bytes", { $0.modelName = String(repeating: "m", count: 65) }),
        ]
        for (field, limit, change) in cases {
            #expect(throws: LimitViolation.self) { try submit(change).checkLimits() }
            do {
                try submit(change).checkLimits()
            } catch {
                #expect(error.field == field)
                #expect(error.limit == limit, "\(field)")
                let reply = ErrorReply(error)
                #expect(reply.code == .limitExceeded && reply.field == field && reply.message.utf8.count < 200)
            }
        }
    }
}
