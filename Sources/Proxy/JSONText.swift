/// Minimal JSON text for the proxy's own small responses (no Foundation on the hot path).
enum JSONText {
    /// `{"error": "<message>"}`.
    static func error(_ message: String) -> String {
        "{\"error\": \(quoted(message))}"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// The `/proxy/backends` document: an array of ``BackendStatus`` objects.
    static func backends(_ statuses: [BackendStatus]) -> String {
        let items = statuses.map { status in
            "{\"url\": \(quoted(status.url)), \"healthy\": \(status.healthy), \"inFlight\": \(status.inFlight), "
                + "\"requests\": \(status.requests), \"failures\": \(status.failures)}"
        }
        return "[" + items.joined(separator: ", ") + "]\n"
    }
}
