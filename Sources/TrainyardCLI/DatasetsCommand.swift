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
        static let configuration = CommandConfiguration(
            abstract: "Upload a CSV file as the next version of a dataset, or every CSV file dropped into a folder (--watch).",
            discussion: """
            With --watch DIR the command keeps running: every *.csv file in DIR (already there or dropped in later) is \
            uploaded once its size and modification time have stayed the same for one --interval (a file still being \
            copied is not read half-written), oldest first. Content the dataset already has is the version it already \
            is (and starts no pipeline run); a file the registry refuses is reported and retried only if it changes.
            """
        )
        @Argument(help: "The CSV file (or give --watch).") var file: String?
        @Option(help: "The dataset's name.") var name: String
        @Option(help: ArgumentHelp("Watch this folder and upload each CSV file dropped into it.", valueName: "dir")) var watch: String?
        @Option(help: "How often --watch looks at the folder (e.g. 2s).") var interval = DurationArgument.seconds(2)
        @OptionGroup var connection: ModelsCommand.Connection

        func validate() throws {
            guard (file == nil) != (watch == nil) else { throw ValidationError("give a FILE to upload, or --watch DIR, not both") }
        }

        func run() async throws {
            if let watch { return try await DropFolder(path: watch, interval: interval.duration).watch { try await upload($0) } }
            let version = try await upload(file!)
            try connection.emit(version) { DatasetsCommand.line(version) }
        }

        private func upload(_ path: String) async throws -> DatasetVersion {
            guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
            let filename = (path as NSString).lastPathComponent
            return try await connection.call { try await $0.uploadDataset(name: name, bytes: [UInt8](data), filename: filename) }
        }
    }

    /// A folder watched for CSV files: each is handed to `upload` once it has settled.
    struct DropFolder {
        let path: String
        let interval: Duration

        /// A file as seen by one scan.
        struct Seen: Equatable {
            var size: UInt64
            var modified: Date
        }

        /// Runs until the process is stopped.
        func watch(upload: (String) async throws -> DatasetVersion) async throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CommandFailure("--watch \(path): no such folder")
            }
            printError("watching \(path) for CSV files (every \(interval))")
            var previous: [String: Seen] = [:]
            var done: [String: Seen] = [:]
            while true {
                let now = scan()
                for (file, seen) in now.sorted(by: { ($0.value.modified, $0.key) < ($1.value.modified, $1.key) })
                where previous[file] == seen && done[file] != seen {
                    done[file] = seen
                    do {
                        let version = try await upload(path + "/" + file)
                        print("\(DatasetsCommand.line(version))  from \(file)")
                        fflush(nil)
                    } catch {
                        printError("\(file): not uploaded: \(error)")
                    }
                }
                previous = now
                try await Task.sleep(for: interval)
            }
        }

        /// The folder's visible `*.csv` regular files by name.
        func scan() -> [String: Seen] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            var files: [String: Seen] = [:]
            for name in names where name.lowercased().hasSuffix(".csv") && !name.hasPrefix(".") {
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name),
                      attributes[.type] as? FileAttributeType == .typeRegular,
                      let size = attributes[.size] as? UInt64, let modified = attributes[.modificationDate] as? Date else { continue }
                files[name] = Seen(size: size, modified: modified)
            }
            return files
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
