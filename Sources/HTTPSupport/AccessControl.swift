import Foundation
import HTTPTypes
import Hummingbird

/// A server's access rule: with ``AccessTokens`` configured, requests to guarded routes need a bearer token of the
/// route's role; without (a server on loopback, or started with `--insecure`), every request is let through as
/// `anonymous`. Route handlers call ``authorize(_:needs:)`` first and record the name it returns as the actor.
public struct AccessControl: Sendable {
    public let tokens: AccessTokens?

    /// No tokens: everything is allowed.
    public static let open = AccessControl(tokens: nil)

    public init(tokens: AccessTokens?) {
        self.tokens = tokens
    }

    /// The actor making `request`: its token's name, or `anonymous` when no tokens are configured.
    /// - Throws: ``AccessError`` (401 or 403), which Hummingbird renders as `{"error": "…"}`.
    public func authorize(_ request: Request, needs role: AccessRole) throws(AccessError) -> String {
        try authorize(header: request.headers[.authorization], needs: role)
    }

    /// The same check on a raw `Authorization` header value (servers that do not use Hummingbird's request type).
    public func authorize(header: String?, needs role: AccessRole) throws(AccessError) -> String {
        guard let tokens else { return "anonymous" }
        return try tokens.authorize(header, needs: role)
    }

    /// Why a server may not start as configured: listening beyond loopback with no tokens and without `insecure`.
    public static func startProblem(host: String, tokens: AccessTokens?, insecure: Bool) -> String? {
        guard tokens == nil, !insecure, !isLoopback(host) else { return nil }
        return "refusing to listen on \(host) without API tokens: anyone who can reach it could change or read its state. "
            + "Give --tokens FILE (see trainyard tokens create) or TRAINYARD_TOKENS, listen on 127.0.0.1, or pass --insecure"
    }

    /// Whether `host` is a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}

extension AccessError: HTTPResponseError {
    /// The HTTP status a server answers with.
    public var status: HTTPResponse.Status {
        switch self {
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        default: .internalServerError
        }
    }

    /// `{"error": description}`, with `WWW-Authenticate: Bearer` on a 401.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [:]
        if case .unauthenticated = self { headers[.wwwAuthenticate] = "Bearer" }
        return JSONResponse.error(description, status: status, headers: headers)
    }
}
