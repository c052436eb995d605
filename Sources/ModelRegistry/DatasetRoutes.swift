import Foundation
import HTTPSupport
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix

/// The dataset store's REST API under `/api/v1/datasets` (documented in `docs/openapi/registry.yaml`):
/// list, show, upload (streamed; the same content again returns its version with 200, a new one
/// 201) and download (`X-Content-SHA256` and `X-Dataset-Version` headers). Reading needs the
/// `reader` role, uploading `publisher`.
public enum DatasetRoutes {
    /// Uploads larger than this are refused with 413 (2 GiB).
    public static let defaultMaxDatasetBytes = 2 << 30
    public static let versionHeader = HTTPField.Name("X-Dataset-Version")!

    public static func add<Context: RequestContext>(to router: Router<Context>, store: DatasetStore,
                                                    maxBytes: Int = defaultMaxDatasetBytes, access: AccessControl) {
        let api = router.group("/api/v1/datasets")
        api.get { request, _ in
            _ = try access.authorize(request, needs: .reader)
            return await RegistryRoutes.respond { try store.datasets() }
        }
        api.get(":name") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let name = try context.parameters.require("name")
            return await RegistryRoutes.respond { try store.dataset(name) }
        }
        api.post(":name/versions") { request, context in
            let actor = try access.authorize(request, needs: .publisher)
            let name = try context.parameters.require("name")
            let filename = request.uri.queryParameters["filename"].map(String.init)
            let tooLarge = JSONResponse.error("the dataset is larger than the registry's limit of \(maxBytes) bytes",
                                              status: .contentTooLarge, headers: [.connection: "close"])
            if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBytes { return tooLarge }
            let upload: ArtifactUpload
            do throws(ArtifactUpload.Failure) {
                upload = try await ArtifactUpload.receive(request.body, into: store.uploadDirectory, limit: maxBytes)
            } catch {
                switch error {
                case .tooLarge: return tooLarge
                case .io(let reason): return JSONResponse.error("cannot store the upload: \(reason)", status: .internalServerError)
                }
            }
            do {
                let (version, created) = try await NIOThreadPool.singleton.runIfActive {
                    try store.add(name: name, upload: upload, filename: filename, actor: actor)
                }
                return JSONResponse.make(version, status: created ? .created : .ok)
            } catch let error as RegistryError {
                return JSONResponse.error(error.description, status: error.status)
            } catch {
                return JSONResponse.error("\(error)", status: .internalServerError)
            }
        }
        api.get(":name/versions/:version") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let reference = try reference(context)
            return await RegistryRoutes.respond { try store.version(reference) }
        }
        api.get(":name/versions/:version/content") { request, context in
            _ = try access.authorize(request, needs: .reader)
            let reference = try reference(context)
            do {
                let (version, bytes) = try await NIOThreadPool.singleton.runIfActive { try store.content(reference) }
                return Response(status: .ok, headers: [.contentType: "text/csv", RegistryRoutes.checksumHeader: version.sha256,
                                                       versionHeader: String(version.version)],
                                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            } catch let error as RegistryError {
                return JSONResponse.error(error.description, status: error.status)
            } catch {
                return JSONResponse.error("\(error)", status: .internalServerError)
            }
        }
    }

    /// `:name` and `:version`, a positive integer or `latest`.
    private static func reference<Context: RequestContext>(_ context: Context) throws -> DatasetReference {
        let name = try context.parameters.require("name")
        let text = try context.parameters.require("version")
        if text == "latest" { return DatasetReference(name: name) }
        guard let number = Int(text), number > 0 else {
            throw HTTPError(.badRequest, message: "the version must be a positive integer or 'latest'")
        }
        return DatasetReference(name: name, version: number)
    }
}
