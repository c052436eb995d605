import Foundation
import Testing
import TrainyardML
@testable import Tuning

struct TPESamplerTests {
    /// Runs a sequential study of `trials` trials and returns its history.
    private func study(_ sampler: inout some Sampler, trials: Int, _ objective: ([String: ParameterValue]) -> Double) -> [TrialRecord] {
        var history: [TrialRecord] = []
        for id in 0..<trials {
            guard let parameters = sampler.suggest(trial: id, history: history) else { break }
            history.append(TrialRecord(id: id, parameters: parameters, state: .complete, value: objective(parameters)))
        }
        return history
    }

    private func number(_ values: [String: ParameterValue], _ name: String) -> Double { values[name]?.number ?? .nan }

    private let plane = SearchSpace(parameters: [
        .init(name: "x", distribution: .uniform(low: -5, high: 5)),
        .init(name: "y", distribution: .uniform(low: -5, high: 5)),
    ])

    private func bowl(_ values: [String: ParameterValue]) -> Double {
        let (x, y) = (number(values, "x"), number(values, "y"))
        return (x - 0.3) * (x - 0.3) + (y + 2) * (y + 2)
    }

    @Test func startupTrialsAreRandomSearchsDraws() {
        let space = SearchSpace(parameters: [
            .init(name: "x", distribution: .uniform(low: -5, high: 5)),
            .init(name: "n", distribution: .int(low: 1, high: 9, step: 2, log: false)),
            .init(name: "kind", distribution: .choice([.string("a"), .string("b")])),
        ], fixed: ["trees": .int(300)])
        var tpe = TPESampler(space: space, direction: .minimize, seed: 11)
        var random = RandomSampler(space: space, seed: 11)
        var history: [TrialRecord] = []
        for id in 0..<10 {
            let suggested = tpe.suggest(trial: id, history: history)
            #expect(suggested == random.suggest(trial: id, history: history), "trial \(id)")
            let values = suggested ?? [:]
            #expect((-5...5).contains(number(values, "x")) && [1, 3, 5, 7, 9].contains(number(values, "n")))
            #expect(values["trees"] == .int(300) && values.count == 4)
            history.append(TrialRecord(id: id, parameters: values, state: .complete, value: number(values, "x")))
        }
        // Trial 10 sees 10 finished trials: TPE takes over and leaves random search's sequence.
        #expect(tpe.suggest(trial: 10, history: history) != random.suggest(trial: 10, history: history))
    }

    @Test func sameSeedAndHistorySuggestTheSame() {
        var a = TPESampler(space: plane, direction: .minimize, seed: 5)
        var b = TPESampler(space: plane, direction: .minimize, seed: 5)
        let first = study(&a, trials: 30, bowl)
        let second = study(&b, trials: 30, bowl)
        #expect(first == second)
        // And the same history handed to fresh samplers gives the same next suggestion.
        var c = TPESampler(space: plane, direction: .minimize, seed: 9)
        var d = TPESampler(space: plane, direction: .minimize, seed: 9)
        var e = TPESampler(space: plane, direction: .minimize, seed: 10)
        let next = c.suggest(trial: 30, history: first)
        #expect(next == d.suggest(trial: 30, history: first))
        #expect(next != e.suggest(trial: 30, history: first), "another seed draws other candidates")
    }

    @Test func beatsRandomSearchOnAQuadratic() {
        func medianBest(_ makeSampler: (UInt64) -> any Sampler) -> Double {
            let bests = (1...5).map { seed -> Double in
                var sampler = makeSampler(UInt64(seed))
                return study(&sampler, trials: 60, bowl).compactMap(\.value).min() ?? .infinity
            }
            return bests.sorted()[2]
        }
        let tpe = medianBest { TPESampler(space: plane, direction: .minimize, seed: $0) }
        let random = medianBest { RandomSampler(space: plane, seed: $0) }
        #expect(tpe < random, "median best over 5 seeds, 60 trials: TPE \(tpe), random search \(random)")
    }

    @Test func settlesOnTheBestChoice() {
        let space = SearchSpace(parameters: [
            .init(name: "optimizer", distribution: .choice([.string("sgd"), .string("adam"), .string("rmsprop"), .string("adagrad")])),
            .init(name: "rate", distribution: .logUniform(low: 1e-4, high: 1)),
        ])
        for seed: UInt64 in 1...3 {
            var sampler = TPESampler(space: space, direction: .maximize, seed: seed)
            let history = study(&sampler, trials: 60) { values in
                let rate = log10(number(values, "rate"))
                return (values["optimizer"] == .string("adam") ? 0.9 : 0.6) - 0.01 * (rate + 2) * (rate + 2)
            }
            let adam = history.suffix(20).filter { $0.parameters["optimizer"] == .string("adam") }.count
            #expect(adam > 10, "seed \(seed): adam in \(adam) of the last 20 trials")
        }
    }

    @Test func logAndSteppedValuesStayInBoundsAndOnTheGrid() {
        let space = SearchSpace(parameters: [
            .init(name: "lambda", distribution: .logUniform(low: 1e-3, high: 10)),
            .init(name: "leaves", distribution: .int(low: 1, high: 1000, step: 1, log: true)),
            .init(name: "depth", distribution: .int(low: 2, high: 21, step: 3, log: false)),
        ])
        var sampler = TPESampler(space: space, direction: .minimize, seed: 3)
        // Optima at the edges pull the kernels against the bounds.
        let history = study(&sampler, trials: 50) { values in
            -log(number(values, "lambda")) + log(number(values, "leaves")) - number(values, "depth")
        }
        for trial in history {
            let values = trial.parameters
            #expect((1e-3...10).contains(number(values, "lambda")), "\(values)")
            guard case .int(let leaves) = values["leaves"], case .int(let depth) = values["depth"] else {
                Issue.record("integers expected: \(values)")
                continue
            }
            #expect((1...1000).contains(leaves))
            #expect((2...20).contains(depth) && (depth - 2) % 3 == 0, "depth \(depth) is not on 2, 5, …, 20")
        }
        #expect(history.suffix(10).contains { $0.parameters["depth"] == .int(20) })
    }

    @Test func conditionalParameterOnlyWhenItsConditionHolds() {
        let space = SearchSpace(parameters: [
            .init(name: "model", distribution: .choice([.string("gbdt"), .string("linear")])),
            .init(name: "eta", distribution: .logUniform(low: 0.01, high: 0.3), when: ["model": [.string("gbdt")]]),
            .init(name: "l2", distribution: .uniform(low: 0, high: 1), when: ["model": [.string("linear")]]),
        ], fixed: ["trees": .int(100)])
        var sampler = TPESampler(space: space, direction: .minimize, seed: 8)
        let history = study(&sampler, trials: 40) { values in
            values["model"] == .string("gbdt") ? abs(number(values, "eta") - 0.1) : 0.05 + number(values, "l2")
        }
        for trial in history {
            let gbdt = trial.parameters["model"] == .string("gbdt")
            #expect((trial.parameters["eta"] != nil) == gbdt && (trial.parameters["l2"] != nil) == !gbdt, "\(trial.parameters)")
            #expect(trial.parameters["trees"] == .int(100))
        }
        #expect(history.contains { $0.parameters["model"] == .string("linear") } && history.dropFirst(10).contains { $0.parameters["eta"] != nil })
    }

    @Test func gammaAndWeightsAreOptunasDefaults() {
        // γ(n) = min(⌈n/10⌉, 25): ⌈0.1⌉ = 1, ⌈1.0⌉ = 1, ⌈1.1⌉ = 2, ⌈10⌉ = 10, ⌈30⌉ = 30 → 25.
        #expect([1, 10, 11, 100, 300].map(ParzenEstimator.gamma) == [1, 1, 2, 10, 25])
        // n = 30: the newest 25 weigh 1; the oldest 5 ramp 1/30 → 1 in 4 equal steps of
        // (1 − 1/30)/4 = 29/120: 1/30, 33/120, 62/120, 91/120, 1.
        let weights = ParzenEstimator.weights(30)
        let ramp = [1.0 / 30, 33.0 / 120, 62.0 / 120, 91.0 / 120, 1]
        #expect(weights.count == 30 && weights.suffix(25).allSatisfy { $0 == 1 })
        #expect(zip(weights.prefix(5), ramp).allSatisfy { abs($0 - $1) < 1e-12 }, "\(weights.prefix(5))")
        #expect(ParzenEstimator.weights(26).first == 1.0 / 26 && ParzenEstimator.weights(24) == Array(repeating: 1, count: 24))
    }

    @Test func kernelsAndTruncatedNormalByHand() {
        // Observations 2, 3, 7 on [0, 10]: sorted with the bounds, 0 | 2 3 7 | 10. Interior
        // sigma = the larger neighbouring gap: 3 → max(1, 4) = 4. The extremes look inwards only
        // (no consider_endpoints): 2 → 1, 7 → 4. Magic clip: min = 10 / min(100, 3 + 2) = 2, so
        // 2's sigma becomes 2. The prior is N(5, 10²).
        let kernels = ParzenEstimator.kernels([7, 2, 3], low: 0, high: 10)
        #expect(kernels.map(\.mu) == [7, 2, 3, 5] && kernels.map(\.sigma) == [4, 2, 4, 10])
        // Weights: 3 observations and the prior, 1 each → 1/4.
        #expect(ParzenEstimator.mixtureWeights(3) == [0.25, 0.25, 0.25, 0.25])

        // N(0, 1) on [−1, 1]: mass 2Φ(1) − 1 = 0.682689492137; at 0, the density is
        // φ(0)/0.682689 = 0.398942280401/0.682689492137 = 0.584369; log = −0.537223.
        let unit = TruncatedNormal(mu: 0, sigma: 1, low: -1, high: 1)
        #expect(abs(unit.logDensity(0) - log(0.398942280401 / 0.682689492137)) < 1e-9)
        #expect(abs(unit.logDensity(0) - -0.537223) < 1e-6)
        #expect(unit.logDensity(1.5) == -.infinity)
        // N(2, 2²) on [2, 12] (half a normal, to 5 sigma): mass Φ(5) − Φ(0) = 0.499999713348;
        // at 4 (z = 1) the density is φ(1)/2/0.499999713 = 0.241970724519/2/0.499999713348 =
        // 0.241970863; P(2 ≤ X ≤ 4) = (Φ(1) − 0.5)/0.499999713 = 0.341344746/0.499999713 = 0.682689884.
        let half = TruncatedNormal(mu: 2, sigma: 2, low: 2, high: 12)
        #expect(abs(half.logDensity(4) - log(0.241970724519 / 2 / 0.499999713348)) < 1e-9)
        #expect(abs(half.logProbability(from: 0, to: 4) - log(0.341344746069 / 0.499999713348)) < 1e-9)
    }

    @Test func truncatedNormalQuantilesInvertTheDistributionFunction() {
        for (a, b) in [(-1.0, 1.0), (-30.0, -2.0), (3.0, 40.0), (-0.5, 50.0), (-60.0, 0.1)] {
            let mass = TruncatedNormal.logStandardMass(a, b)
            for q in [1e-9, 0.01, 0.3, 0.5, 0.77, 0.999] {
                let z = TruncatedNormal.standardQuantile(q, a, b)
                #expect(z >= a && z <= b)
                let below = TruncatedNormal.logStandardMass(a, z) - mass
                #expect(abs(exp(below) - q) < 1e-9 * max(1, q * 1e3), "[\(a), \(b)] q \(q): z \(z), CDF \(exp(below))")
            }
        }
        // Far tail: log Φ(−40) by the asymptotic series vs the known value −804.608442013754 (scipy's log_ndtr).
        #expect(abs(TruncatedNormal.logCDF(-40) - -804.608442013754) < 1e-9)
    }

    @Test func runningTrialsCountAsBadAndPrunedRankAfterComplete() {
        func trial(_ id: Int, _ state: TrialState, _ value: Double?, steps: [Int: Double] = [:]) -> TrialRecord {
            TrialRecord(id: id, parameters: ["x": .double(Double(id))], state: state, value: value, intermediate: steps)
        }
        // 1 complete + 10 pruned = 11 finished → γ = 2 good: the complete trial (even though a
        // pruned one reported a better value), then the pruned trial that got deepest (step 50),
        // the better of the two there.
        let history = [trial(0, .complete, 5), trial(1, .complete, nil), trial(2, .pruned, 0, steps: [10: 0]),
                       trial(3, .pruned, 6, steps: [50: 6]), trial(4, .pruned, 9, steps: [50: 9])]
            + (5..<12).map { trial($0, .pruned, 1, steps: [20: 1]) }
            + [trial(12, .running, nil), trial(13, .failed, 0)]
        let split = TPESampler.split(history, direction: .minimize)
        #expect(split.finished == 11)
        #expect(split.good.map(\.id) == [0, 3])
        #expect(split.bad.map(\.id) == [2, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    }
}
