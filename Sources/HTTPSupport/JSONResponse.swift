import Foundation
import Hummingbird
import NIOCore

/// JSON bodies for the registry's and the replicas' REST APIs: sorted keys, `{"error": "…"}` for failures (the one
/// error body, also what ``ErrorBodyMiddleware`` makes of a thrown `HTTPResponseError`).
public enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    /// `value` as a JSON response.
    public static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        guard let data = try? encoder.encode(value) else { return error("the response cannot be encoded", status: .internalServerError) }
        return bytes(Array(data), status: status, headers: headers)
    }

    /// Pre-encoded JSON bytes as a response.
    public static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `text` as a JSON string literal (quotes, backslashes and control characters escaped), for bodies written by
    /// hand on hot paths (predictions, the proxy's own answers).
    public static func quoted(_ text: String) -> String {
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

    /// The one error body, `{"error": "<message>"}`, as text (for servers that write their responses by hand).
    public static func errorText(_ message: String) -> String { "{\"error\": \(quoted(message))}" }

    /// ``errorText(_:)`` with `status`.
    public static func error(_ message: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        bytes(Array(errorText(message).utf8), status: status, headers: headers)
    }
}
