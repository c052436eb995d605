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
            let upload: ArtifactUpload
            switch await receive(request, into: store.uploadDirectory, limit: maxArtifactBytes,
                                 tooLarge: "the artifact is larger than the registry's limit of \(maxArtifactBytes) bytes (--max-artifact-bytes)") {
            case .success(let received): upload = received
            case .failure(let refusal): return refusal.response
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
            return await artifact { try Download(store.artifact(name, number)) }
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
            return await artifact { try Download(store.artifact(name, try store.resolve(name, alias: alias).version)) }
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

    /// A stored file on its way out: its recorded SHA-256, its version number and its bytes (checked already).
    struct Download: Sendable {
        var sha256: String
        var version: Int
        var bytes: [UInt8]

        init(_ artifact: (version: ModelVersion, bytes: [UInt8])) {
            self.init(sha256: artifact.version.sha256, version: artifact.version.version, bytes: artifact.bytes)
        }

        init(sha256: String, version: Int, bytes: [UInt8]) {
            self.sha256 = sha256
            self.version = version
            self.bytes = bytes
        }
    }

    /// An upload refused before it reached the store, with the response that says why.
    struct RefusedUpload: Error {
        let response: Response
    }

    /// The request's body streamed into `directory` (``ArtifactUpload``), or its refusal: 413 with `tooLarge`
    /// (closing the connection) when it declares or sends more than `limit` bytes, 500 when it cannot be stored.
    static func receive(_ request: Request, into directory: String, limit: Int,
                        tooLarge message: String) async -> Result<ArtifactUpload, RefusedUpload> {
        let tooLarge = RefusedUpload(response: JSONResponse.error(message, status: .contentTooLarge, headers: [.connection: "close"]))
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { return .failure(tooLarge) }
        do throws(ArtifactUpload.Failure) {
            return .success(try await ArtifactUpload.receive(request.body, into: directory, limit: limit))
        } catch {
            switch error {
            case .tooLarge: return .failure(tooLarge)
            case .io(let reason):
                return .failure(RefusedUpload(response: JSONResponse.error("cannot store the upload: \(reason)", status: .internalServerError)))
            }
        }
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
        await answer { JSONResponse.make(try body(), status: status) }
    }

    /// A model version's artifact (`application/octet-stream`, `X-Content-SHA256`, `X-Model-Version`).
    private static func artifact(_ body: @escaping @Sendable () throws -> Download) async -> Response {
        await file(contentType: "application/octet-stream", versionHeader: versionHeader, body)
    }

    /// A stored file read on the blocking pool, with its checksum and version headers.
    static func file(contentType: String, versionHeader: HTTPField.Name, _ body: @escaping @Sendable () throws -> Download) async -> Response {
        await answer {
            let download = try body()
            return Response(status: .ok, headers: [.contentType: contentType, checksumHeader: download.sha256,
                                                   versionHeader: String(download.version)],
                            body: .init(byteBuffer: ByteBuffer(bytes: download.bytes)))
        }
    }

    /// Runs `body` (store calls) on the blocking pool; a ``RegistryError`` becomes its status and message.
    static func answer(_ body: @escaping @Sendable () throws -> Response) async -> Response {
        do {
            return try await NIOThreadPool.singleton.runIfActive(body)
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
