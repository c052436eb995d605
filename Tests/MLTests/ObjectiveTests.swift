import Testing
@testable import TrainyardML

struct ObjectiveTests {
    func gradient(_ objective: Objective, _ margins: [Float], label: Float, group: Int = 0) -> (g: Float, h: Float) {
        margins.withUnsafeBufferPointer { objective.gradient(margins: $0, label: label, group: group) }
    }

    @Test func logisticGradientsByHand() {
        // margin 0 → p = 0.5; label 1: g = p − y = −0.5, h = p(1 − p) = 0.25.
        let (g, h) = gradient(.binaryLogistic, [0], label: 1)
        #expect(g == -0.5 && h == 0.25)
        // margin ln 3 → p = 0.75; label 0: g = 0.75, h = 0.1875.
        let second = gradient(.binaryLogistic, [Float(1.0986123)], label: 0)
        #expect(abs(second.g - 0.75) < 1e-6 && abs(second.h - 0.1875) < 1e-6)
    }

    @Test func squaredErrorGradientsByHand() {
        let (g, h) = gradient(.squaredError, [2], label: 0.5)
        #expect(g == 1.5 && h == 1)
    }

    @Test func softprobGradientsByHand() {
        // Equal margins → p = 1/3 for each class. True class 1, group 1: g = 1/3 − 1, h = 2·(1/3)·(2/3) = 4/9.
        let (g, h) = gradient(.softprob(numClass: 3), [0, 0, 0], label: 1, group: 1)
        #expect(abs(g - (-2.0 / 3)) < 1e-6 && abs(h - 4.0 / 9) < 1e-6)
        let other = gradient(.softprob(numClass: 3), [0, 0, 0], label: 1, group: 2)
        #expect(abs(other.g - 1.0 / 3) < 1e-6)
    }

    @Test func baseScoreIsStoredInPredictionSpace() {
        #expect(Objective.binaryLogistic.margin(fromBaseScore: 0.5) == 0)
        #expect(abs(Objective.binaryLogistic.margin(fromBaseScore: 0.75) - Float(1.0986123)) < 1e-6)
        #expect(Objective.squaredError.margin(fromBaseScore: 3.5) == 3.5)
    }

    @Test func labelsAreCheckedWithTheOffendingRow() {
        #expect(throws: ParameterError.invalid("label", "binary:logistic needs labels 0 or 1; row 2 has 2.0")) {
            try Objective.binaryLogistic.validate(labels: [0, 1, 2])
        }
        #expect(throws: ParameterError.self) { try Objective.softprob(numClass: 3).validate(labels: [0, 3]) }
        #expect(throws: ParameterError.invalid("objective", "'binary:hinge' is not one of binary:logistic, reg:squarederror, multi:softprob")) {
            try Objective(name: "binary:hinge")
        }
    }
}
