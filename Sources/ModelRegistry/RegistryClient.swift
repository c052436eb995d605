import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TrainyardML

/// Talks to a registry's REST API (`trainyard registry` or a coordinator's embedded one).
/// Downloads are checked against the SHA-256 the registry recorded at publish time.
///
/// An unreachable registry fails fast: connecting is given ``connectTimeout`` (2 s, the client's own), a metadata
/// call ``requestTimeout`` and an artifact transfer ``transferTimeout``, and the error names the URL.
public struct RegistryClient: Sendable {
    /// e.g. `http://127.0.0.1:8080` (no trailing slash needed).
    public let baseURL: String
    /// Whole-call limit for metadata calls (models, versions, aliases, status changes). Default 10 s.
    public var requestTimeout: Duration = .seconds(10)
    /// Whole-call limit for uploading or downloading an artifact. Default 300 s.
    public var transferTimeout: Duration = .seconds(300)
    /// The API token sent as `Authorization: Bearer` (a registry started with `--tokens`).
    public var token: String?
    /// What an `https://` registry's certificate is checked against (see `TLSTrust`); `nil`: the system's trust
    /// store. The certificate must name the URL's host.
    public var tlsConfiguration: TLSConfiguration?
    private let client: HTTPClient

    /// Time allowed to open a connection to the registry.
    public static let connectTimeout: Duration = .seconds(2)

    /// The HTTP client registry clients share unless given one: ``connectTimeout`` to connect. Lives as long as the
    /// process.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: TimeAmount(connectTimeout))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(baseURL: String, token: String? = nil, tlsConfiguration: TLSConfiguration? = nil,
                client: HTTPClient = RegistryClient.sharedHTTPClient) {
        self.token = token
        self.tlsConfiguration = tlsConfiguration
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        if !url.contains("://") { url = "http://" + url }
        self.baseURL = url
        self.client = client
    }

    public func models() async throws(RegistryError) -> [RegisteredModel] {
        try await json([RegisteredModel].self, "GET", "/api/v1/models")
    }

    public func model(_ name: String) async throws(RegistryError) -> RegisteredModel {
        try ModelName.validate(name)
        return try await json(RegisteredModel.self, "GET", "/api/v1/models/\(name)")
    }

    public func version(_ name: String, _ number: Int) async throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        return try await json(ModelVersion.self, "GET", "/api/v1/models/\(name)/versions/\(number)")
    }

    public func resolve(_ name: String, alias: String) async throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        try ModelName.validate(alias, kind: "alias")
        return try await json(ModelVersion.self, "GET", "/api/v1/models/\(name)/aliases/\(alias)")
    }

    public func audit(_ name: String) async throws(RegistryError) -> [AuditEntry] {
        try ModelName.validate(name)
        return try await json([AuditEntry].self, "GET", "/api/v1/models/\(name)/audit")
    }

    /// Publishes model file bytes as the next version of `name`.
    public func publish(name: String, artifact: [UInt8], description: String? = nil) async throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        var path = "/api/v1/models/\(name)/versions"
        if let description, let query = description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            path += "?description=\(query)"
        }
        return try await json(ModelVersion.self, "POST", path, body: artifact, contentType: "application/octet-stream", timeout: transferTimeout)
    }

    public func setStatus(_ name: String, _ number: Int, _ status: ApprovalStatus, reason: String? = nil) async throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        return try await json(ModelVersion.self, "PUT", "/api/v1/models/\(name)/versions/\(number)/status",
                              body: try encode(RegistryRoutes.StatusChange(status: status, reason: reason)))
    }

    public func promote(_ name: String, alias: String, to number: Int, reason: String? = nil) async throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        try ModelName.validate(alias, kind: "alias")
        return try await json(ModelVersion.self, "PUT", "/api/v1/models/\(name)/aliases/\(alias)",
                              body: try encode(RegistryRoutes.Promotion(version: number, reason: reason)))
    }

    public func rollback(_ name: String, alias: String, reason: String? = nil) async throws(RegistryError) -> ModelVersion {
        try ModelName.validate(name)
        try ModelName.validate(alias, kind: "alias")
        return try await json(ModelVersion.self, "POST", "/api/v1/models/\(name)/aliases/\(alias)/rollback",
                              body: try encode(RegistryRoutes.Reason(reason: reason)))
    }

    /// The artifact of a version, verified against the registry's SHA-256 and decoded.
    public func download(_ name: String, version number: Int) async throws(RegistryError) -> (version: Int, sha256: String, bytes: [UInt8]) {
        try ModelName.validate(name)
        return try await artifact("/api/v1/models/\(name)/versions/\(number)/artifact")
    }

    /// The artifact `alias` points at, verified against the registry's SHA-256.
    public func download(_ name: String, alias: String) async throws(RegistryError) -> (version: Int, sha256: String, bytes: [UInt8]) {
        try ModelName.validate(name)
        try ModelName.validate(alias, kind: "alias")
        return try await artifact("/api/v1/models/\(name)/aliases/\(alias)/artifact")
    }

    // MARK: Datasets

    /// Uploads `bytes` (a CSV file named `filename`) as the next version of dataset `name`, or
    /// finds the version that already has this content.
    public func uploadDataset(name: String, bytes: [UInt8], filename: String? = nil) async throws(RegistryError) -> DatasetVersion {
        try ModelName.validate(name, kind: "dataset name")
        var path = "/api/v1/datasets/\(name)/versions"
        if let filename, let query = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { path += "?filename=\(query)" }
        return try await json(DatasetVersion.self, "POST", path, body: bytes, contentType: "text/csv", timeout: transferTimeout)
    }

    public func datasets() async throws(RegistryError) -> [RegisteredDataset] {
        try await json([RegisteredDataset].self, "GET", "/api/v1/datasets")
    }

    public func dataset(_ reference: DatasetReference) async throws(RegistryError) -> DatasetVersion {
        try await json(DatasetVersion.self, "GET", "/api/v1/datasets/\(reference.name)/versions/\(reference.version.map(String.init) ?? "latest")")
    }

    /// The file of a dataset version, verified against the registry's SHA-256.
    public func downloadDataset(_ reference: DatasetReference) async throws(RegistryError) -> (version: Int, sha256: String, bytes: [UInt8]) {
        let path = "/api/v1/datasets/\(reference.name)/versions/\(reference.version.map(String.init) ?? "latest")/content"
        let (head, bytes) = try await send("GET", path, body: nil, contentType: nil, limit: DatasetRoutes.defaultMaxDatasetBytes,
                                           timeout: transferTimeout)
        guard let expected = head.headers.first(name: "X-Content-SHA256"),
              let version = head.headers.first(name: "X-Dataset-Version").flatMap(Int.init) else {
            throw .remote(status: Int(head.status.code), message: "the dataset response lacks its X-Content-SHA256 or X-Dataset-Version header")
        }
        let actual = SHA256.hash(data: bytes).hex
        guard actual == expected else {
            throw .invalidRequest("downloaded \(bytes.count) bytes of \(reference) hash to \(actual.prefix(12))…, the registry recorded \(expected.prefix(12))…")
        }
        return (version, expected, bytes)
    }

    // MARK: Transport

    private func artifact(_ path: String) async throws(RegistryError) -> (version: Int, sha256: String, bytes: [UInt8]) {
        let (head, bytes) = try await send("GET", path, body: nil, contentType: nil, limit: RegistryRoutes.defaultMaxArtifactBytes,
                                           timeout: transferTimeout)
        guard let expected = head.headers.first(name: "X-Content-SHA256"), let version = head.headers.first(name: "X-Model-Version").flatMap(Int.init) else {
            throw .remote(status: Int(head.status.code), message: "the artifact response lacks its X-Content-SHA256 or X-Model-Version header")
        }
        let actual = SHA256.hash(data: bytes).hex
        guard actual == expected else {
            throw .invalidArtifact("downloaded \(bytes.count) bytes hash to \(actual.prefix(12))…, the registry recorded \(expected.prefix(12))…")
        }
        return (version, expected, bytes)
    }

    private func json<T: Decodable>(_ type: T.Type, _ method: String, _ path: String, body: [UInt8]? = nil,
                                    contentType: String = "application/json", timeout: Duration? = nil) async throws(RegistryError) -> T {
        let (_, bytes) = try await send(method, path, body: body, contentType: body == nil ? nil : contentType, limit: 64 << 20,
                                        timeout: timeout ?? requestTimeout)
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
            throw .remote(status: 200, message: "unexpected response from \(baseURL)\(path): \(DecodingFailure.describe(error))")
        }
    }

    private func send(_ method: String, _ path: String, body: [UInt8]?, contentType: String?, limit: Int, timeout: Duration)
        async throws(RegistryError) -> (head: HTTPClientResponse, bytes: [UInt8]) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.tlsConfiguration = tlsConfiguration
        request.method = HTTPMethod(rawValue: method)
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        let bytes: [UInt8]
        do {
            response = try await client.execute(request, timeout: TimeAmount(timeout))
            bytes = Array(buffer: try await response.body.collect(upTo: limit))
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw .unreachable("\(method) \(baseURL)\(path): could not connect within \(Self.connectTimeout)")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .unreachable("\(method) \(baseURL)\(path): no complete answer within \(timeout)")
        } catch let error as NIOSSLError {
            throw .unreachable("\(method) \(baseURL)\(path): \(Self.tlsFailure(error))")
        } catch let error as BoringSSLError {
            throw .unreachable("\(method) \(baseURL)\(path): \(Self.tlsFailure(error))")
        } catch let error as HTTPClientError where error == .remoteConnectionClosed && baseURL.hasPrefix("http://") {
            throw .unreachable("\(method) \(baseURL)\(path): the server closed the connection without answering (if it serves HTTPS, use an https:// URL)")
        } catch {
            throw .unreachable("\(method) \(baseURL)\(path): \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            let message = (try? JSONDecoder().decode([String: String].self, from: Data(bytes)))?["error"]
                ?? String(decoding: bytes.prefix(300), as: UTF8.self)
            throw .remote(status: Int(response.status.code), message: message)
        }
        return (response, bytes)
    }

    /// A failed handshake in words a user can act on; BoringSSL's error stack only in parentheses.
    static func tlsFailure(_ error: any Error) -> String {
        let detail = "\(error)"
        if detail.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS handshake failed: the server's certificate is not trusted (give its CA with --ca-file or TRAINYARD_CA_FILE)"
        }
        if detail.contains("hostname") || detail.contains("Hostname") {
            return "TLS handshake failed: the server's certificate does not name this host (\(detail))"
        }
        if detail.contains("WRONG_VERSION_NUMBER") {
            return "TLS handshake failed: the server does not speak TLS (use an http:// URL)"
        }
        return "TLS handshake failed (\(detail))"
    }

    private func encode(_ value: some Encodable) throws(RegistryError) -> [UInt8] {
        do { return Array(try JSONEncoder().encode(value)) } catch { throw .invalidRequest("\(error)") }
    }
}
