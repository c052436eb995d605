import ArgumentParser

/// A duration on the command line: a number and a unit, `250ms`, `10s`, `5m` or `1h` (a bare number is seconds).
struct DurationArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let duration: Duration
    let description: String

    init(_ duration: Duration, text: String) {
        self.duration = duration
        description = text
    }

    init?(argument: String) {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let unit = units.first { argument.hasSuffix($0.suffix) && Double(argument.dropLast($0.suffix.count)) != nil } ?? ("", 1)
        guard let value = Double(argument.dropLast(unit.suffix.count)), value.isFinite, value >= 0, value * unit.seconds < 1e9 else {
            return nil
        }
        self.init(.milliseconds(Int64((value * unit.seconds * 1000).rounded())), text: argument)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
