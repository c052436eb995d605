import Foundation

/// Parses request bodies with Foundation's JSON parser and names JSON types in messages.
public enum JSONInput {
    /// The parsed body, or a 400 naming the problem.
    public static func parse(_ bytes: [UInt8]) throws(InputError) -> Any {
        guard !bytes.isEmpty else { throw InputError("the request body is empty; send a JSON document") }
        do { return try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw InputError("malformed JSON: \(detail)")
        }
    }

    /// `a string`, `a number`, `an object`… for error messages.
    public static func typeName(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case let string as String: "a string (\"\(string.prefix(40))\")"
        case is NSNumber: "a number"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        default: "a \(type(of: value))"
        }
    }

    /// A number's text as a category level: `3` for integral values, otherwise the shortest form.
    static func text(of number: NSNumber) -> String {
        let value = number.doubleValue
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
