import Testing
@testable import TrainyardML

/// A linear fit watched and stopped iteration by iteration (a tuning scheduler's resource).
struct LinearIterationTests {
    let features = DenseMatrix(rows: 8, columns: 2, values: [0, 1, 1, 0, 2, 1, 3, 3, 1, 2, 0, 0, 2, 2, 3, 1])
    let labels: [Float] = [0, 0, 1, 1, 0, 0, 1, 1]

    @Test func theFitReportsEachIterationAndStopsWhereItIsTold() throws {
        let trainer = try LinearTrainer(parameters: LinearParameters())
        let full = try trainer.train(features, labels: labels)
        var seen: [Int] = []
        var third: LinearModel?
        let stopped = try trainer.train(features, labels: labels) { iteration, model in
            seen.append(iteration)
            if iteration == 3 { third = model }
            return iteration == 3
        }
        #expect(seen == [1, 2, 3] && full.iterations > 3)
        #expect(stopped.iterations == 3 && !stopped.converged && stopped.model == third)
        // Watching without stopping changes nothing.
        let watched = try trainer.train(features, labels: labels) { _, _ in false }
        #expect(watched.model == full.model && watched.iterations == full.iterations)
    }
}
