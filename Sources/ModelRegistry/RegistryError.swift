import HTTPSupport
import Hummingbird

/// Why a registry operation was refused or failed. ``status`` is what the REST API answers.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String, kind: String)
    case modelNotFound(String)
    case versionNotFound(String, Int)
    case aliasNotFound(String, String)
    case datasetNotFound(String)
    case datasetVersionNotFound(String, Int)
    /// The uploaded bytes are not a loadable model file.
    case invalidArtifact(String)
    /// The stored artifact no longer matches its recorded SHA-256.
    case checksumMismatch(name: String, version: Int, expected: String, actual: String)
    case notApproved(String, version: Int, status: ApprovalStatus)
    case nothingToRollBack(String, alias: String)
    /// The status change would leave an alias on a version its gate refuses.
    case aliasHeld(String, version: Int, alias: String, status: ApprovalStatus)
    case invalidRequest(String)
    case storage(String)
    /// Transport or server failure seen by ``RegistryClient``.
    case remote(status: Int, message: String)
    case unreachable(String)

    public var description: String {
        switch self {
        case .invalidName(let name, let kind):
            "invalid \(kind) '\(name.prefix(80))': use 1–64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
        case .modelNotFound(let name): "no model named '\(name)' in the registry"
        case .versionNotFound(let name, let version): "model '\(name)' has no version \(version)"
        case .aliasNotFound(let name, let alias): "model '\(name)' has no alias '\(alias)'"
        case .datasetNotFound(let name): "no dataset named '\(name)' in the registry (upload it with `trainyard datasets upload FILE --name \(name)`)"
        case .datasetVersionNotFound(let name, let version): "dataset '\(name)' has no version \(version)"
        case .invalidArtifact(let detail): "the uploaded artifact is not a valid Trainyard model file: \(detail)"
        case .checksumMismatch(let name, let version, let expected, let actual):
            "the stored artifact of \(name) version \(version) is corrupt: SHA-256 \(actual.prefix(12))…, recorded \(expected.prefix(12))…"
        case .notApproved(let name, let version, let status):
            status == .rejected
                ? "version \(version) of '\(name)' was rejected and cannot be promoted"
                : "version \(version) of '\(name)' is \(status.rawValue); approve it first (trainyard models approve \(name) \(version))"
        case .nothingToRollBack(let name, let alias): "alias '\(alias)' of '\(name)' has no earlier version to roll back to"
        case .aliasHeld(let name, let version, let alias, let status):
            "version \(version) of '\(name)' holds the '\(alias)' alias, which cannot point at a \(status.rawValue) version; move the alias first"
        case .invalidRequest(let detail): detail
        case .storage(let detail): "registry storage error: \(detail)"
        case .remote(let status, let message): "registry answered \(status): \(message)"
        case .unreachable(let detail): "cannot reach the registry: \(detail)"
        }
    }

}

extension RegistryError: HTTPResponseError {
    /// What the registry's routes answer when they throw this error.
    public var status: HTTPResponse.Status {
        switch self {
        case .invalidName, .invalidArtifact, .invalidRequest: .badRequest
        case .modelNotFound, .versionNotFound, .aliasNotFound, .datasetNotFound, .datasetVersionNotFound: .notFound
        case .notApproved, .nothingToRollBack, .aliasHeld: .conflict
        case .checksumMismatch, .storage: .internalServerError
        case .remote(let status, _): .init(code: status)
        case .unreachable: .badGateway
        }
    }

    /// `{"error": description}` (``ErrorBodyMiddleware`` answers the same for errors thrown below it).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.error(description, status: status)
    }
}
