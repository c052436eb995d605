/// Parses request bodies with ``JSONParser`` into ``JSONValue``s.
public enum JSONInput {
    /// The parsed body, or a 400 naming the problem and where it is.
    public static func parse(_ bytes: [UInt8]) throws(InputError) -> JSONValue {
        guard !bytes.isEmpty else { throw InputError("the request body is empty; send a JSON document") }
        do { return try JSONParser.parse(bytes) } catch { throw InputError("malformed JSON: \(error)") }
    }

    /// A number's text as a category level: `3` for integral values, otherwise the shortest form.
    static func text(of value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
