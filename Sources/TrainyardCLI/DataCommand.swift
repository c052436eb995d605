import ArgumentParser
import Foundation
import TrainyardML

/// `trainyard data …`: look at datasets.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect datasets (data-quality profile) and generate demo data.",
        subcommands: [Profile.self, Synth.self]
    )

    struct Profile: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per-column type, missing %, cardinality, min/max/mean, constant columns and label balance."
        )

        @Argument(help: "CSV file.") var file: String
        @Option(help: "Label column, for the class balance.") var label: String?
        @Flag(help: "Print the profile as JSON.") var json = false
        @OptionGroup var dataOptions: DataOptions

        func run() throws {
            let profile = DataProfile.profile(try dataOptions.read(file), label: label)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(profile), as: UTF8.self))
                return
            }
            print("\(file): \(profile.rows) rows, \(profile.columns.count) columns")
            let header = ["COLUMN", "TYPE", "MISSING", "DISTINCT", "MIN", "MAX", "MEAN", "NOTE"]
            let rows = profile.columns.map { c in
                [c.name, c.kind.rawValue, String(format: "%.1f%%", c.missingPercent), String(c.cardinality),
                 c.min.map { String(format: "%.4g", $0) } ?? "", c.max.map { String(format: "%.4g", $0) } ?? "",
                 c.mean.map { String(format: "%.4g", $0) } ?? "",
                 c.constant ? "constant" : c.idLike ? "id-like (--drop it)" : c.kind == .text ? "text (train with --model linear)"
                     : (c.missingPercent > 50 ? "mostly missing" : "")]
            }
            let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max()! }
            for row in [header] + rows {
                print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
            if let balance = profile.labelBalance, let label {
                let total = balance.values.reduce(0, +)
                print("label '\(label)': " + balance.sorted { $0.key < $1.key }
                    .map { String(format: "%@ %d (%.1f%%)", $0.key as NSString, $0.value, Double($0.value) * 100 / Double(max(total, 1))) }
                    .joined(separator: ", "))
            }
        }
    }

    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a seeded demo dataset: churn (numeric, categorical and missing values) or movie reviews (text).",
            discussion: """
            --kind reviews writes `review,sentiment` rows: reviews with negated phrases ("not boring") and mixed \
            opinions, labelled positive or negative, for the sentiment use case.
            """
        )

        enum Kind: String, ExpressibleByArgument, CaseIterable {
            case churn, reviews
        }

        @Option(help: "What to generate: churn or reviews.") var kind = Kind.churn
        @Option(help: "Rows to generate.") var rows = 20_000
        @Option(help: "Random seed.") var seed: UInt64 = 42
        @Option(help: "Output CSV file.") var out: String

        func run() throws {
            let (text, label) = switch kind {
            case .churn: (SyntheticChurn.csv(rows: rows, seed: seed), "churned")
            case .reviews: (SyntheticReviews.csv(rows: rows, seed: seed), "sentiment")
            }
            try AtomicFile.write(Array(text.utf8), to: out)
            print("wrote \(rows) rows to \(out) (label column: \(label))")
        }
    }
}
