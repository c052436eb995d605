import Foundation
import HTTPSupport
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix

/// The registry's REST API (documented in `docs/openapi/registry.yaml`), mounted on a
/// Hummingbird router. Store calls are blocking SQLite and file I/O, so they run on NIO's
/// blocking thread pool, never on the request's task.
public enum RegistryRoutes {
    /// Artifacts larger than this are refused with 413 (default 512 MiB).
    public static let defaultMaxArtifactBytes = 512 << 20

    /// Adds the API under `/api/v1` and `GET /health` to `router`. With tokens in `access`, reading needs
    /// `reader`, publishing `publisher`, status changes and alias moves `approver`; the token's name is the actor
    /// the audit trail records.
    public static func add<Context: RequestContext>(to router: Router<Context>, store: RegistryStore,
                                                    maxArtifactBytes: Int = defaultMaxArtifactBytes, access: AccessControl = .open) {
        router.get("/health") { _, _ in JSONResponse.make(["status": "ok"]) }
        DatasetRoutes.add(to: router, store: store.datasets, access: access)
        let api = router.group("/api/v1/models")
        api.get { request, _ in
            _ = try access.authorize(request, needs: .reader)
            return await respond { try store.models() }
        }
        api.get(":name") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let name = try context.parameters.require("name")
            return await respond { try store.model(name) }
        }
        api.get(":name/audit") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let name = try context.parameters.require("name")
            return await respond { try store.audit(name) }
        }
        api.post(":name/versions") { request, context in
            let actor = try access.authorize(request, needs: .publisher)
            let name = try context.parameters.require("name")
            let description = request.uri.queryParameters["description"].map(String.init)
            let tooLarge = JSONResponse.error("the artifact is larger than the registry's limit of \(maxArtifactBytes) bytes (--max-artifact-bytes)",
                                              status: .contentTooLarge, headers: [.connection: "close"])
            if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxArtifactBytes { return tooLarge }
            let upload: ArtifactUpload
            do throws(ArtifactUpload.Failure) {
                upload = try await ArtifactUpload.receive(request.body, into: store.uploadDirectory, limit: maxArtifactBytes)
            } catch {
                switch error {
                case .tooLarge: return tooLarge
                case .io(let reason): return JSONResponse.error("cannot store the upload: \(reason)", status: .internalServerError)
                }
            }
            return await respond(status: .created) { try store.publish(name: name, upload: upload, description: description, actor: actor) }
        }
        api.get(":name/versions/:version") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let (name, number) = try nameAndVersion(context)
            return await respond { try store.version(name, number) }
        }
        api.get(":name/versions/:version/artifact") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let (name, number) = try nameAndVersion(context)
            return await artifact { try store.artifact(name, number) }
        }
        api.put(":name/versions/:version/status") { request, context in
            let actor = try access.authorize(request, needs: .approver)
            let (name, number) = try nameAndVersion(context)
            let change: StatusChange
            do { change = try await decode(StatusChange.self, request) } catch { return JSONResponse.error("\(error)", status: .badRequest) }
            return await respond { try store.setStatus(name, number, change.status, reason: change.reason, actor: actor) }
        }
        api.get(":name/aliases/:alias") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let (name, alias) = try nameAndAlias(context)
            return await respond { try store.resolve(name, alias: alias) }
        }
        api.get(":name/aliases/:alias/artifact") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let (name, alias) = try nameAndAlias(context)
            return await artifact { try store.artifact(name, try store.resolve(name, alias: alias).version) }
        }
        api.put(":name/aliases/:alias") { request, context in
            let actor = try access.authorize(request, needs: .approver)
            let (name, alias) = try nameAndAlias(context)
            let promotion: Promotion
            do { promotion = try await decode(Promotion.self, request) } catch { return JSONResponse.error("\(error)", status: .badRequest) }
            return await respond { try store.promote(name, alias: alias, to: promotion.version, reason: promotion.reason, actor: actor) }
        }
        api.post(":name/aliases/:alias/rollback") { request, context in
            let actor = try access.authorize(request, needs: .approver)
            let (name, alias) = try nameAndAlias(context)
            let reason = (try? await decode(Reason.self, request))?.reason
            return await respond { try store.rollback(name, alias: alias, reason: reason, actor: actor) }
        }
    }

    /// Body of `PUT …/aliases/{alias}`.
    public struct Promotion: Codable, Sendable {
        public var version: Int
        public var reason: String?
        public init(version: Int, reason: String? = nil) { self.version = version; self.reason = reason }
    }

    /// Body of `PUT …/versions/{version}/status`.
    public struct StatusChange: Codable, Sendable {
        public var status: ApprovalStatus
        public var reason: String?
        public init(status: ApprovalStatus, reason: String? = nil) { self.status = status; self.reason = reason }
    }

    /// Optional body of `POST …/rollback`.
    public struct Reason: Codable, Sendable {
        public var reason: String?
        public init(reason: String?) { self.reason = reason }
    }

    /// The header that carries an artifact's SHA-256 on download.
    public static let checksumHeader = HTTPField.Name("X-Content-SHA256")!
    /// The header that carries an artifact's version number on download.
    public static let versionHeader = HTTPField.Name("X-Model-Version")!

    private struct Artifact: Sendable {
        var version: ModelVersion
        var bytes: [UInt8]
        var tuple: (ModelVersion, [UInt8]) { (version, bytes) }
    }

    private static func nameAndVersion<Context: RequestContext>(_ context: Context) throws -> (String, Int) {
        let name = try context.parameters.require("name")
        guard let number = context.parameters.get("version", as: Int.self), number > 0 else {
            throw HTTPError(.badRequest, message: "the version must be a positive integer")
        }
        return (name, number)
    }

    private static func nameAndAlias<Context: RequestContext>(_ context: Context) throws -> (String, String) {
        (try context.parameters.require("name"), try context.parameters.require("alias"))
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws(RegistryError) -> T {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: 64 << 10) } catch { throw .invalidRequest("the request body is too large") }
        do { return try JSONDecoder().decode(T.self, from: Data(buffer: body)) } catch {
            throw .invalidRequest("malformed request body: \(DecodingFailure.describe(error))")
        }
    }

    /// Runs a store call on the blocking pool; a ``RegistryError`` becomes its status and message.
    static func respond(status: HTTPResponse.Status = .ok, _ body: @escaping @Sendable () throws -> some Encodable & Sendable) async -> Response {
        do {
            let value = try await NIOThreadPool.singleton.runIfActive(body)
            return JSONResponse.make(value, status: status)
        } catch let error as RegistryError {
            return JSONResponse.error(error.description, status: error.status)
        } catch {
            return JSONResponse.error("\(error)", status: .internalServerError)
        }
    }

    private static func artifact(_ body: @escaping @Sendable () throws -> (version: ModelVersion, bytes: [UInt8])) async -> Response {
        do {
            let (version, bytes) = try await NIOThreadPool.singleton.runIfActive { () throws -> Artifact in
                let (version, bytes) = try body()
                return Artifact(version: version, bytes: bytes)
            }.tuple
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", checksumHeader: version.sha256,
                                                   versionHeader: String(version.version)],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch let error as RegistryError {
            return JSONResponse.error(error.description, status: error.status)
        } catch {
            return JSONResponse.error("\(error)", status: .internalServerError)
        }
    }
}

/// Short, actionable descriptions of JSON decoding failures (field path and problem).
public enum DecodingFailure {
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the body" : "'\(keys.joined(separator: "."))'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)'" + (context.codingPath.isEmpty ? "" : " in \(path(context))")
        case .typeMismatch(let type, let context): return "\(path(context)) must be of type \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)) must be a \(type), not null"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
