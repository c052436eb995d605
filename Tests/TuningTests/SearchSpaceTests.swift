import Testing
import TrainyardML
@testable import Tuning

struct SearchSpaceTests {
    let yaml = """
    model: {choice: [gbdt, linear]}
    eta: {loguniform: [0.01, 0.3], when: {model: gbdt}}
    max_depth: {int: [3, 9], step: 2, when: {model: gbdt}}
    min_child_weight: {int: [1, 64], log: true}
    subsample: {uniform: [0.5, 1.0]}
    n_trees: 300
    text_ngrams: "1-2"
    """

    @Test func theYAMLFormReadsEveryKindInFileOrder() throws {
        let space = try SearchSpace.parse(yaml: yaml)
        #expect(space.parameters.map(\.name) == ["model", "eta", "max_depth", "min_child_weight", "subsample"])
        #expect(space.parameters[0].distribution == .choice([.string("gbdt"), .string("linear")]))
        #expect(space.parameters[1].distribution == .logUniform(low: 0.01, high: 0.3))
        #expect(space.parameters[1].when == ["model": [.string("gbdt")]])
        #expect(space.parameters[2].distribution == .int(low: 3, high: 9, step: 2, log: false))
        #expect(space.parameters[3].distribution == .int(low: 1, high: 64, step: 1, log: true))
        #expect(space.fixed == ["n_trees": .int(300), "text_ngrams": .string("1-2")])
        try TrainingParameterNames.check(space)
    }

    @Test func badSpacesAreRefusedNamingTheParameter() {
        let cases: [(String, String)] = [
            ("eta: {uniform: [1, 0]}", "eta: uniform range is empty"),
            ("eta: {loguniform: [0, 1]}", "eta: loguniform needs a lower bound > 0"),
            ("depth: {int: [3.5, 9]}", "depth: int bounds must be integers"),
            ("eta: {normal: [0, 1]}", "eta: unknown key 'normal'"),
            ("eta: {uniform: [0.1, 0.3], when: {model: gbdt}}", "eta: when names 'model', which is not defined above it"),
            ("model: {choice: []}", "model: choice must be a non-empty list"),
            ("n_trees: 300", "space: no parameter is searched"),
            ("eta: {uniform: [0.1, 0.3], step: 2}", "eta: step and log apply to int parameters only"),
            ("- a\n- b", "space: must be a mapping"),
        ]
        for (text, expected) in cases {
            #expect(throws: SearchSpaceError.self) { try SearchSpace.parse(yaml: text) }
            do { _ = try SearchSpace.parse(yaml: text) } catch { #expect(error.description.contains(expected), "\(text): \(error)") }
        }
        let unknown = try? SearchSpace.parse(yaml: "learning_rte: {uniform: [0.1, 0.3]}")
        #expect(throws: SearchSpaceError.self) { try TrainingParameterNames.check(unknown!) }
    }

    @Test func drawsStayInTheirDomainsAndConditionsHold() throws {
        let space = try SearchSpace.parse(yaml: yaml)
        var random = SplitMix64(seed: 1)
        for _ in 0..<500 {
            let values = space.sample(&random)
            let gbdt = values["model"] == .string("gbdt")
            #expect((values["eta"] != nil) == gbdt && (values["max_depth"] != nil) == gbdt)
            if let eta = values["eta"]?.number { #expect(eta >= 0.01 && eta <= 0.3) }
            if case .int(let depth)? = values["max_depth"] { #expect([3, 5, 7, 9].contains(depth)) }
            guard case .int(let weight)? = values["min_child_weight"], let subsample = values["subsample"]?.number else {
                Issue.record("missing values: \(values)")
                return
            }
            #expect((1...64).contains(weight) && subsample >= 0.5 && subsample <= 1)
            #expect(values["n_trees"] == .int(300))
        }
    }

    @Test func theGridCombinesOnlyWhereConditionsHold() throws {
        let space = try SearchSpace.parse(yaml: "model: {choice: [gbdt, linear]}\nmax_depth: {int: [3, 5], when: {model: gbdt}}\nlambda: {loguniform: [0.01, 1]}")
        var grid = GridSampler(space: space, realPoints: 3)
        // gbdt × 3 depths × 3 lambdas + linear × 3 lambdas.
        #expect(grid.points.count == 12)
        #expect(grid.points.filter { $0["model"] == .string("linear") }.allSatisfy { $0["max_depth"] == nil })
        #expect(grid.points[0] == ["model": .string("gbdt"), "max_depth": .int(3), "lambda": .double(0.01)])
        let lambdas = Set(grid.points.compactMap { $0["lambda"]?.number.map { ($0 * 1e6).rounded() / 1e6 } })
        #expect(lambdas == [0.01, 0.1, 1])   // evenly spaced in the logarithm
        #expect(grid.suggest(trial: 12, history: []) == nil)
    }

    @Test func parametersSetTheTrainingSpec() throws {
        let base = TrainingSpec(data: DatasetSource(path: "x.csv"), label: "y")
        let spec = try TrainingParameterNames.apply(["model": .string("linear"), "learning_rate": .double(0.05), "max_depth": .int(4),
                                                     "lambda": .double(2), "text_ngrams": .string("1-3"), "n_estimators": .int(50)], to: base)
        #expect(spec.model == .linear && spec.gbdt.eta == 0.05 && spec.gbdt.maxDepth == 4 && spec.gbdt.trees == 50)
        #expect(spec.gbdt.lambda == 2 && spec.linear.lambda == 2 && spec.text?.ngramMax == 3)
        #expect(throws: SearchSpaceError.invalid("max_depth", "must be an integer, got 4.5")) {
            try TrainingParameterNames.apply(["max_depth": .double(4.5)], to: base)
        }
        #expect(throws: SearchSpaceError.self) { try TrainingParameterNames.apply(["model": .string("forest")], to: base) }
    }
}
