import Logging

/// swift-log's `StreamLogHandler`, with metadata formatted only when a line is written.
///
/// `StreamLogHandler` formats all of its metadata again every time one key is set. A server pays for that on
/// every request: Hummingbird sets a request id on its request logger for each one, even when nothing is logged
/// at the configured level. This handler keeps the metadata as it is set, and hands it to the stream handler
/// only with the lines that are written. The lines are the same.
struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata = Logger.Metadata()
    var metadataProvider: Logger.MetadataProvider?

    /// Writes through `stream` (whose own metadata stays empty), at `stream`'s log level.
    init(_ stream: StreamLogHandler) {
        self.stream = stream
        metadataProvider = stream.metadataProvider
        self.stream.metadataProvider = nil
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // Precedence as in StreamLogHandler: the handler's metadata, then the provider's, then the line's own.
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        var event = event
        event.metadata = merged.isEmpty ? nil : merged
        stream.log(event: event)
    }
}
