import ArgumentParser
import Foundation
import LoadTesting

/// `trainyard loadtest`: load an HTTP endpoint (a replica, the proxy) and report throughput and latency.
struct LoadtestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Load an HTTP/1.1 endpoint with keep-alive connections; report throughput, latency percentiles and errors.",
        discussion: """
            Closed loop by default: each connection sends its next request when the previous response arrived. \
            With --rate, open loop: requests are due at a constant rate and latency counts from the time each was due, \
            so a stalled server is charged for every request it delayed (as wrk2 does).

            Durations accept 10, 10s, 500ms, 2m.
            """
    )

    @Option(help: "Target URL, http[s]://host[:port][/path].") var url: String
    @OptionGroup var ca: CAFileOption
    @Option(help: "File whose bytes are sent as the request body (the method then defaults to POST).") var body: String?
    @Option(help: "Request method (default: POST with --body, GET without).") var method: String?
    @Option(name: .customLong("header"), help: "Request header 'Name: value' (repeatable).") var headers: [String] = []
    @Option(help: "Keep-alive connections (1 to \(LoadTestPlan.maximumConcurrency)).") var concurrency = 10
    @Option(help: "How long to send requests (at most 1h).") var duration = "10s"
    @Option(help: "Open-loop rate in requests per second across all connections.") var rate: Double?
    @Option(help: "Stop after this many requests.") var requests: Int?
    @Option(help: "Per-request timeout.") var timeout = "5s"
    @Option(help: "Event-loop threads (default: one per core, at most one per connection).") var threads: Int?
    @Option(help: "Count the values of this response header, e.g. X-Model-Version.") var countHeader: String?
    @Flag(help: "Print the report as one JSON object on standard output.") var json = false

    func validate() throws {
        guard LoadTestPlan.parseDuration(duration) != nil else {
            throw ValidationError("--duration '\(duration)' is not a duration; use e.g. 10, 10s, 500ms or 2m")
        }
        guard LoadTestPlan.parseDuration(timeout) != nil else {
            throw ValidationError("--timeout '\(timeout)' is not a duration; use e.g. 5, 5s or 500ms")
        }
        for header in headers where Self.splitHeader(header) == nil {
            throw ValidationError("--header '\(header)' is not 'Name: value'")
        }
    }

    func run() async throws {
        var bodyBytes: [UInt8] = []
        if let body {
            guard let data = FileManager.default.contents(atPath: body) else {
                throw CommandFailure("cannot read body file '\(body)': check the path and permissions")
            }
            bodyBytes = Array(data)
        }
        let plan = LoadTestPlan(
            url: url, method: method, headers: headers.compactMap(Self.splitHeader), body: bodyBytes,
            concurrency: concurrency, duration: LoadTestPlan.parseDuration(duration)!, rate: rate, maxRequests: requests,
            timeout: LoadTestPlan.parseDuration(timeout)!, threads: threads, countHeader: countHeader,
            tlsConfiguration: url.lowercased().hasPrefix("https://") ? try ca.configuration() : nil
        )
        let text = LoadReportText(plan: plan)
        let report: LoadTestReport
        do {
            try plan.validate()
            if !json { print(text.banner()) }
            report = try await LoadTest.run(plan)
        } catch {
            throw CommandFailure(error.description)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(text.summary(report))
        }
        let errors = report.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        if report.requests == 0 {
            throw CommandFailure("no request could be sent to \(url) (\(errors.isEmpty ? "no connection" : errors)): is the server running and listening there?")
        }
        let succeeded = report.statusCounts.filter { (Int($0.key) ?? 0) / 100 == 2 }.values.reduce(0, +)
        if succeeded == 0 {
            let statuses = report.statusCounts.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
            throw CommandFailure("no request to \(url) succeeded (\([statuses, errors].filter { !$0.isEmpty }.joined(separator: "; "))): check the URL's path and the request body")
        }
    }

    /// `"Name: value"` → `("Name", "value")`; `nil` without a colon or with an empty name.
    static func splitHeader(_ text: String) -> (name: String, value: String)? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return nil }
        return (name, text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
}
