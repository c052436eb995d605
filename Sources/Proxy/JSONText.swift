import HTTPSupport

/// Minimal JSON text for the proxy's own small responses (no Foundation on the hot path).
enum JSONText {
    /// `{"error": "<message>"}`, the house's one error body.
    static func error(_ message: String) -> String { JSONResponse.errorText(message) }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String { JSONResponse.quoted(text) }

    /// The `/proxy/backends` document: an array of ``BackendStatus`` objects.
    static func backends(_ statuses: [BackendStatus]) -> String {
        let items = statuses.map { status in
            "{\"url\": \(quoted(status.url)), \"healthy\": \(status.healthy), \"inFlight\": \(status.inFlight), "
                + "\"requests\": \(status.requests), \"failures\": \(status.failures)}"
        }
        return "[" + items.joined(separator: ", ") + "]\n"
    }
}
