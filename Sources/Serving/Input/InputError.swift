import HTTPSupport
import HTTPTypes
import Hummingbird

/// Why a prediction request was refused: always the client's input, answered with a 4xx
/// whose message names the field.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400, 413 or 415.
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ message: String, status: HTTPResponse.Status = .badRequest) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}

extension InputError: HTTPResponseError {
    /// `{"error": message}` with ``status``.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.error(message, status: status)
    }
}
