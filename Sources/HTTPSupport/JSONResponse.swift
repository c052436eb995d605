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

    /// `{"error": message}` with `status`.
    public static func error(_ message: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        make(["error": message], status: status, headers: headers)
    }
}
