import ArgumentParser
import Foundation
import ModelRegistry
import TrainyardML

/// `trainyard datasets …`: the registry's dataset store from the command line.
struct DatasetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Upload, list, show and download versioned datasets in the registry's dataset store.",
        discussion: """
        Datasets are CSV files kept by content (SHA-256) and numbered per name: uploading new content makes the \
        next version, uploading content the name already has returns that version. Each version keeps its schema and \
        its data-quality profile (as `trainyard data profile`). Jobs take `--dataset NAME[@VERSION]` instead of --data: \
        the coordinator fetches the file from the registry, so workers and coordinator need no shared filesystem.
        """,
        subcommands: [Upload.self, List.self, Show.self, Download.self]
    )

    /// `NAME[@VERSION]`, or a command failure naming what is wrong.
    static func reference(_ text: String) throws -> DatasetReference {
        do { return try DatasetReference(parsing: text) } catch { throw CommandFailure(error.description) }
    }

    static func line(_ version: DatasetVersion) -> String {
        "\(version.reference)  \(version.rows) rows × \(version.columns.count) columns  \(Format.bytes(version.bytes))  "
            + "sha256 \(version.sha256.prefix(12))  \(version.filename ?? "")"
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload a CSV file as the next version of a dataset.")
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The dataset's name.") var name: String
        @OptionGroup var connection: ModelsCommand.Connection

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("cannot read \(file)") }
            let filename = (file as NSString).lastPathComponent
            let version = try await connection.call { try await $0.uploadDataset(name: name, bytes: [UInt8](data), filename: filename) }
            try connection.emit(version) { DatasetsCommand.line(version) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List datasets with their latest version.")
        @OptionGroup var connection: ModelsCommand.Connection

        func run() async throws {
            let datasets = try await connection.call { try await $0.datasets() }
            try connection.emit(datasets) {
                guard !datasets.isEmpty else { return "no datasets yet" }
                return datasets.map { "\(DatasetsCommand.line($0.versions[0]))  (\($0.versions.count) version\($0.versions.count == 1 ? "" : "s"))" }
                    .joined(separator: "\n")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dataset version: schema and data-quality profile.")
        @Argument(help: "NAME or NAME@VERSION (default: the latest).") var dataset: String
        @OptionGroup var connection: ModelsCommand.Connection

        func run() async throws {
            let reference = try DatasetsCommand.reference(dataset)
            let version = try await connection.call { try await $0.dataset(reference) }
            try connection.emit(version) {
                var lines = [DatasetsCommand.line(version)]
                let rows = version.profile.columns.map { c in
                    [c.name, c.kind.rawValue, String(format: "%.1f%%", c.missingPercent), String(c.cardinality),
                     c.min.map { String(format: "%.4g", $0) } ?? "", c.max.map { String(format: "%.4g", $0) } ?? "",
                     c.constant ? "constant" : c.idLike ? "id-like" : ""]
                }
                lines += Format.table([["COLUMN", "TYPE", "MISSING", "DISTINCT", "MIN", "MAX", "NOTE"]] + rows)
                return lines.joined(separator: "\n")
            }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a dataset version's file (checked against its SHA-256).")
        @Argument(help: "NAME or NAME@VERSION (default: the latest).") var dataset: String
        @Option(help: "Output file.") var out: String
        @OptionGroup var connection: ModelsCommand.Connection

        func run() async throws {
            let reference = try DatasetsCommand.reference(dataset)
            let (version, sha256, bytes) = try await connection.call { try await $0.downloadDataset(reference) }
            try AtomicFile.write(bytes, to: out)
            printError("\(reference.name)@\(version) (\(bytes.count) bytes, sha256 \(sha256.prefix(12))) written to \(out)")
        }
    }
}
