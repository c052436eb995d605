import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The one error body of the registry's and the replicas' HTTP APIs, `{"error": "message"}`, for the errors
/// Hummingbird throws itself: a missing path parameter, an unknown path or method (404), an oversized body (413),
/// or any other `HTTPResponseError` thrown below this middleware, which Hummingbird would otherwise answer as
/// `{"error":{"message":…}}` or with no body at all. The status and headers the error carries are kept; the message
/// is the error's own (an `HTTPError`'s) or its status's reason phrase. Any other error is a `500` with a fixed
/// message, logged. Add it to a router before its routes: it applies to the routes added after it and to 404s.
public struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            let original = try? error.response(from: request, context: context)
            return Self.response(status: error.status, message: Self.message(of: error), headers: original?.headers ?? [:])
        } catch {
            context.logger.error("unhandled error answering \(request.method) \(request.uri.path): \(error)")
            return Self.response(status: .internalServerError, message: "internal server error", headers: [:])
        }
    }

    /// An `HTTPError`'s message, else the status's reason phrase (`Not Found`).
    static func message(of error: any HTTPResponseError) -> String {
        if let error = error as? HTTPError, let body = error.body, !body.isEmpty { return body }
        return error.status.reasonPhrase.isEmpty ? "HTTP \(error.status.code)" : error.status.reasonPhrase
    }

    /// `{"error": message}` with `status`; `headers` minus the body's own (type and length).
    public static func response(status: HTTPResponse.Status, message: String, headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentLength] = nil
        return JSONResponse.error(message, status: status, headers: fields)
    }
}
