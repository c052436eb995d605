import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Serving

/// `trainyard predictions query`: read a replica's prediction log.
struct PredictionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predictions",
        abstract: "Query prediction logs.",
        subcommands: [Query.self]
    )

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Records of a replica's prediction log, newest first, or their counts by status.")
        @Option(help: "A replica's URL (GET /predictions).") var url: String?
        @Option(help: "A prediction log file, read directly.") var db: String?
        @Option(help: "Only this model.") var model: String?
        @Option(help: "Only this model version.") var modelVersion: Int?
        @Option(name: .customLong("version"), help: .hidden) var legacyVersion: Int?
        @Option(help: "Only this HTTP status.") var status: Int?
        @Option(help: "Only records since this time: seconds since 1970 or ISO 8601.") var since: String?
        @Option(help: "At most this many records.") var limit = 20
        @Flag(help: "Print counts by status instead of records.") var counts = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (url == nil) != (db == nil) else { throw ValidationError("give --url REPLICA or --db FILE") }
            if let since, PredictionTime.parse(since) == nil { throw ValidationError("--since must be seconds since 1970 or ISO 8601") }
        }

        func run() async throws {
            var query = PredictionQuery(model: model, version: modelVersion ?? legacyVersion, status: status, since: since.flatMap(PredictionTime.parse), limit: limit)
            query.limit = limit
            let data: Data
            if let db {
                guard FileManager.default.isReadableFile(atPath: db) else {
                    throw CommandFailure("cannot read the prediction log \(db): no such file, or not readable")
                }
                let result: Any
                do { result = try PredictionLog.read(path: db, query, counts: counts) } catch { throw CommandFailure("\(db): \(error)") }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                data = counts ? try encoder.encode(result as! [String: Int]) : try encoder.encode(result as! [PredictionRecord])
            } else {
                data = try await fetch(query)
            }
            if json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            if counts {
                let byStatus = try JSONDecoder().decode([String: Int].self, from: data)
                if byStatus.isEmpty { print("no records"); return }
                for line in Format.table([["STATUS", "RECORDS"]] + byStatus.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }) { print(line) }
                return
            }
            let records = try JSONDecoder().decode([PredictionRecord].self, from: data)
            for r in records {
                let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: r.time))
                let model = r.model.map { "\($0) v\(r.version ?? 0)" } ?? "-"
                print("\(time) \(r.requestID) \(model) \(r.endpoint) \(r.status) \(r.latencyMicroseconds)µs rows=\(r.rows) \(r.error ?? (r.output.map { String($0.prefix(80)) } ?? ""))")
            }
        }

        private func fetch(_ query: PredictionQuery) async throws -> Data {
            var base = url!
            if !base.contains("://") { base = "http://" + base }
            var parameters = ["limit=\(query.limit)"]
            if let model = query.model { parameters.append("model=\(model)") }
            if let version = query.version { parameters.append("version=\(version)") }
            if let status = query.status { parameters.append("status=\(status)") }
            if let since = query.since { parameters.append("since=\(since)") }
            let request = HTTPClientRequest(url: base + (counts ? "/predictions/counts?" : "/predictions?") + parameters.joined(separator: "&"))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 256 << 20)
                guard response.status.code == 200 else {
                    throw CommandFailure("\(base) answered \(response.status.code): \(String(buffer: body).prefix(300))")
                }
                return Data(buffer: body)
            } catch let error as CommandFailure {
                throw error
            } catch {
                throw CommandFailure("cannot reach \(base): \(error)")
            }
        }
    }
}
