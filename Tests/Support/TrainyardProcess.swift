import Foundation

/// A `trainyard` child process for multi-process tests: started with arguments, its
/// standard error captured to a file, killed with any signal.
public final class TrainyardProcess: @unchecked Sendable {
    /// The package root, found from this file's location.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built executable: `$TRAINYARD_BIN`, else `.build/debug/trainyard` (built by `make test`).
    public static let executable: URL = {
        if let path = ProcessInfo.processInfo.environment["TRAINYARD_BIN"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/trainyard")
    }()

    public let arguments: [String]
    public let process = Process()
    public let logURL: URL
    /// Standard output goes to a file, not a pipe: a child writing more than a pipe buffer
    /// would block until someone read it.
    private let outputURL: URL

    /// Starts `trainyard` with `arguments`, optionally prefixed by a wrapper such as
    /// `ip netns exec NAME`.
    public init(_ arguments: [String], wrapper: [String] = [], environment: [String: String] = [:]) throws {
        self.arguments = arguments
        logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("trainyard-test-\(UUID().uuidString.prefix(8)).log")
        outputURL = logURL.deletingPathExtension().appendingPathExtension("out")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        if wrapper.isEmpty {
            process.executableURL = Self.executable
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: wrapper[0])
            process.arguments = Array(wrapper.dropFirst()) + [Self.executable.path] + arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardError = try FileHandle(forWritingTo: logURL)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Sends a signal (e.g. `SIGKILL`, `SIGTERM`).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// Waits for the process to exit; returns its status, or `nil` on timeout.
    @discardableResult
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Everything written to standard error so far.
    public var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    /// Standard output, after the process has exited.
    public func output() -> String {
        (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
    }

    /// Kills the process if still running and removes its log.
    public func stop() {
        signal(SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: logURL)
        try? FileManager.default.removeItem(at: outputURL)
    }

    /// Runs `trainyard` to completion and returns (status, stdout, stderr).
    public static func run(_ arguments: [String], wrapper: [String] = [], environment: [String: String] = [:],
                           timeout: Duration = .seconds(20)) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try TrainyardProcess(arguments, wrapper: wrapper, environment: environment)
        defer {
            try? FileManager.default.removeItem(at: child.logURL)
            try? FileManager.default.removeItem(at: child.outputURL)
        }
        guard let status = await child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            return (-1, "", "timed out: \(child.log)")
        }
        return (status, child.output(), child.log)
    }
}
