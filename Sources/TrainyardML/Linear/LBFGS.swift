/// Limited-memory BFGS for smooth unconstrained minimisation, with a backtracking line
/// search satisfying the Armijo condition. Deterministic for a deterministic objective.
public struct LBFGS: Sendable {
    /// Stop when `max |gradient| ≤ gradientTolerance × max(1, |f|)`.
    public var gradientTolerance = 1e-8
    /// Stop when the objective improves by less than this, relatively, in one step.
    public var relativeImprovement = 1e-13
    public var maxIterations = 500
    /// Correction pairs kept.
    public var memory = 10

    /// The documented defaults.
    public init() {}

    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var iterations: Int
        public var converged: Bool
    }

    /// Minimises `f` (value and gradient) from `start`; `converged` is false when the
    /// iteration limit was reached, no step decreased `f`, or `afterStep` — called with the
    /// iterations done and the point after each accepted step — returned `true` to stop there.
    public func minimize<Failure: Error>(start: [Double], afterStep: ((Int, [Double]) -> Bool)? = nil,
                                         _ f: ([Double]) throws(Failure) -> (value: Double, gradient: [Double])) throws(Failure) -> Result {
        var x = start
        var (value, gradient) = try f(x)
        var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
        for iteration in 0..<maxIterations {
            if maxAbs(gradient) <= gradientTolerance * max(1, abs(value)) {
                return Result(x: x, value: value, iterations: iteration, converged: true)
            }
            // Two-loop recursion: direction = −H·g.
            var q = gradient
            var alpha = [Double](repeating: 0, count: s.count)
            for i in stride(from: s.count - 1, through: 0, by: -1) {
                alpha[i] = rho[i] * dot(s[i], q)
                for j in q.indices { q[j] -= alpha[i] * y[i][j] }
            }
            if let lastS = s.last, let lastY = y.last {
                let gamma = dot(lastS, lastY) / dot(lastY, lastY)
                for j in q.indices { q[j] *= gamma }
            } else {
                let scale = 1 / max(1, maxAbs(gradient))
                for j in q.indices { q[j] *= scale }
            }
            for i in s.indices {
                let beta = rho[i] * dot(y[i], q)
                for j in q.indices { q[j] += s[i][j] * (alpha[i] - beta) }
            }
            var direction = q.map { -$0 }
            var slope = dot(direction, gradient)
            if slope >= 0 {                       // not a descent direction: restart with steepest descent
                direction = gradient.map { -$0 }
                slope = dot(direction, gradient)
                s.removeAll(); y.removeAll(); rho.removeAll()
            }
            var step = 1.0
            var candidate = x, next = (value: value, gradient: gradient)
            var accepted = false
            for _ in 0..<60 {
                for j in x.indices { candidate[j] = x[j] + step * direction[j] }
                next = try f(candidate)
                if next.value <= value + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { return Result(x: x, value: value, iterations: iteration, converged: false) }
            let sk = zip(candidate, x).map { $0 - $1 }
            let yk = zip(next.gradient, gradient).map { $0 - $1 }
            let sy = dot(sk, yk)
            if sy > 1e-12 {
                s.append(sk); y.append(yk); rho.append(1 / sy)
                if s.count > memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
            }
            let improvement = value - next.value
            x = candidate
            value = next.value
            gradient = next.gradient
            if let afterStep, afterStep(iteration + 1, x) {
                return Result(x: x, value: value, iterations: iteration + 1, converged: false)
            }
            if improvement <= relativeImprovement * max(1, abs(value)) {
                return Result(x: x, value: value, iterations: iteration + 1, converged: true)
            }
        }
        return Result(x: x, value: value, iterations: maxIterations, converged: false)
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += a[i] * b[i] }
        return sum
    }

    private func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }
}
