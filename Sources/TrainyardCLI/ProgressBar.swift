import Foundation
import TrainyardML

/// A one-line progress bar on standard error: rounds done, current metrics, ETA.
struct ProgressBar {
    let width = 28

    func render(_ progress: TrainingProgress) -> String {
        let fraction = Double(progress.round) / Double(max(progress.totalRounds, 1))
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var text = "\r\(bar) \(progress.round)/\(progress.totalRounds) trees"
        if let train = progress.train { text += "  train \(progress.metric) \(Format.metric(train))" }
        if let valid = progress.valid { text += "  valid \(progress.metric) \(Format.metric(valid))" }
        let remaining = progress.elapsedSeconds / fraction - progress.elapsedSeconds
        text += progress.round == progress.totalRounds ? String(format: "  %.1fs   ", progress.elapsedSeconds)
                                                       : String(format: "  ETA %.0fs   ", remaining)
        return text
    }

    func show(_ progress: TrainingProgress) {
        FileHandle.standardError.write(Data(render(progress).utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// Whether standard error is a terminal (no bar in logs and pipes).
    static var isTerminal: Bool { isatty(2) == 1 }
}
