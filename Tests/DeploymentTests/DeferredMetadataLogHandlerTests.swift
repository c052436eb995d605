import Logging
import Synchronization
import Testing
@testable import TrainyardCLI

/// Collects what a log handler writes.
private final class CapturedLines: Sendable {
    private let text = Mutex("")
    var lines: [String] { text.withLock { $0.split(separator: "\n").map(String.init) } }
    func append(_ string: String) { text.withLock { $0 += string } }

    struct Stream: TextOutputStream, Sendable {
        let capture: CapturedLines
        func write(_ string: String) { capture.append(string) }
    }
}

struct DeferredMetadataLogHandlerTests {
    /// A line without its leading timestamp (the first space-separated field).
    private func withoutTimestamp(_ line: String) -> Substring {
        line.drop { $0 != " " }
    }

    private func loggers(level: Logger.Level) -> (deferred: Logger, stream: Logger, CapturedLines, CapturedLines) {
        let deferredLines = CapturedLines(), streamLines = CapturedLines()
        var inner = StreamLogHandler(label: "t", stream: CapturedLines.Stream(capture: deferredLines), metadataProvider: nil)
        inner.logLevel = level
        let deferred = Logger(label: "t") { _ in DeferredMetadataLogHandler(inner) }
        var plain = StreamLogHandler(label: "t", stream: CapturedLines.Stream(capture: streamLines), metadataProvider: nil)
        plain.logLevel = level
        return (deferred, Logger(label: "t") { _ in plain }, deferredLines, streamLines)
    }

    @Test func linesMatchStreamLogHandlersWithMetadataSetAndPerLine() {
        var (deferred, stream, deferredLines, streamLines) = loggers(level: .info)
        for key in ["request.id", "model", "attempt"] {
            deferred[metadataKey: key] = "\(key)-value"
            stream[metadataKey: key] = "\(key)-value"
        }
        deferred[metadataKey: "attempt"] = "2"
        stream[metadataKey: "attempt"] = "2"
        deferred.info("served", metadata: ["status": "200", "model": "per-line wins"])
        stream.info("served", metadata: ["status": "200", "model": "per-line wins"])
        deferred.warning("plain")
        stream.warning("plain")
        #expect(deferredLines.lines.count == 2)
        #expect(deferredLines.lines.map(withoutTimestamp) == streamLines.lines.map(withoutTimestamp))
        #expect(deferredLines.lines[0].contains("model=per-line wins"))
        #expect(deferredLines.lines[0].contains("attempt=2"))
        #expect(deferredLines.lines[0].contains("request.id=request.id-value"))
    }

    @Test func linesBelowTheLevelAreNotWritten() {
        var (deferred, _, lines, _) = loggers(level: .warning)
        deferred[metadataKey: "request.id"] = "abc"
        deferred.info("hidden")
        deferred.debug("hidden")
        deferred.error("shown")
        #expect(lines.lines.count == 1)
        #expect(lines.lines[0].hasSuffix("shown"))
        #expect(lines.lines[0].contains("request.id=abc"))
        #expect(deferred.logLevel == .warning)
        deferred.logLevel = .debug
        deferred.debug("now shown")
        #expect(lines.lines.count == 2)
    }

    @Test func providerMetadataSitsBetweenTheHandlersAndTheLines() {
        let lines = CapturedLines()
        let provider = Logger.MetadataProvider { ["trace": "from-provider", "model": "from-provider"] }
        let inner = StreamLogHandler(label: "t", stream: CapturedLines.Stream(capture: lines), metadataProvider: provider)
        var logger = Logger(label: "t") { _ in DeferredMetadataLogHandler(inner) }
        logger[metadataKey: "model"] = "from-handler"
        logger[metadataKey: "trace"] = "from-handler"
        logger.info("x", metadata: ["trace": "from-line"])
        #expect(lines.lines.count == 1)
        #expect(lines.lines[0].contains("model=from-provider"))
        #expect(lines.lines[0].contains("trace=from-line"))
    }
}
