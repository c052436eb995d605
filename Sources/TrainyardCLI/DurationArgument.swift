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

extension DurationArgument {
    /// A default value, shown in `--help` as `text`.
    static func seconds(_ seconds: Int) -> DurationArgument {
        seconds % 60 == 0 && seconds >= 60 ? DurationArgument(.seconds(seconds), text: "\(seconds / 60)m")
                                          : DurationArgument(.seconds(seconds), text: "\(seconds)s")
    }

    static func milliseconds(_ milliseconds: Int) -> DurationArgument {
        milliseconds % 1000 == 0 ? .seconds(milliseconds / 1000) : DurationArgument(.milliseconds(milliseconds), text: "\(milliseconds)ms")
    }

    /// This duration, unless the flag's old unit-suffixed spelling (`--…-ms`, hidden, still accepted) gave one.
    func or(milliseconds legacy: Int?) -> Duration { legacy.map { .milliseconds($0) } ?? duration }

    /// This duration, unless the flag's old unit-suffixed spelling (`--…-seconds`, hidden, still accepted) gave one.
    func or(seconds legacy: Int?) -> Duration { legacy.map { .seconds($0) } ?? duration }
}

