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
            let upload: ArtifactUpload
            switch await RegistryRoutes.receive(request, into: store.uploadDirectory, limit: maxBytes,
                                                tooLarge: "the dataset is larger than the registry's limit of \(maxBytes) bytes") {
            case .success(let received): upload = received
            case .failure(let refusal): return refusal.response
            }
            return await RegistryRoutes.answer {
                let (version, created) = try store.add(name: name, upload: upload, filename: filename, actor: actor)
                return JSONResponse.make(version, status: created ? .created : .ok)
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
            return await RegistryRoutes.file(contentType: "text/csv", versionHeader: versionHeader) {
                let (version, bytes) = try store.content(reference)
                return RegistryRoutes.Download(sha256: version.sha256, version: version.version, bytes: bytes)
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
