import Foundation
import ModelRegistry

/// What pipelines ask of the registry besides publishing (``ModelPublisher``) and fetching data
/// (``DatasetFetcher``): dataset versions, the version an alias serves, approvals and promotion.
/// Called from the pipeline thread, which the HTTP implementation blocks (never the cooperative pool).
public protocol PipelineRegistry: ModelPublisher, DatasetFetcher {
    /// The version `reference` names (the latest without a version), or `nil` if the dataset has no versions.
    func datasetVersion(_ reference: DatasetReference) throws -> DatasetVersion?
    /// The version `alias` of `model` points at, or `nil` if the model or the alias does not exist.
    func serving(_ model: String, alias: String) throws -> ModelVersion?
    /// A version's record (its approval status) and, with `artifact`, its model file checked against its SHA-256.
    func version(_ model: String, _ number: Int) throws -> ModelVersion
    func artifact(_ model: String, _ number: Int) throws -> [UInt8]
    func approve(_ model: String, _ number: Int, reason: String) throws
    func promote(_ model: String, alias: String, to number: Int, reason: String) throws
}

extension PipelineRegistry {
    /// `nil` for the registry's not-found answers, the value otherwise.
    static func absentIfNotFound<T>(_ body: () throws -> T) throws -> T? {
        do {
            return try body()
        } catch let error as RegistryError {
            switch error {
            case .modelNotFound, .aliasNotFound, .datasetNotFound: return nil
            case .remote(let status, _) where status == 404: return nil
            default: throw error
            }
        }
    }
}

/// The coordinator's embedded registry, read and written directly.
public struct StoreRegistry: PipelineRegistry {
    public let store: RegistryStore

    public init(store: RegistryStore) { self.store = store }

    public func publish(name: String, artifact: [UInt8], description: String) throws -> Int {
        try StorePublisher(store: store).publish(name: name, artifact: artifact, description: description)
    }

    public func fetch(_ reference: DatasetReference) throws -> (version: Int, sha256: String, bytes: [UInt8]) {
        try StoreFetcher(store: store.datasets).fetch(reference)
    }

    public func datasetVersion(_ reference: DatasetReference) throws -> DatasetVersion? {
        try Self.absentIfNotFound { try store.datasets.version(reference) }
    }

    public func serving(_ model: String, alias: String) throws -> ModelVersion? {
        try Self.absentIfNotFound { try store.resolve(model, alias: alias) }
    }

    public func version(_ model: String, _ number: Int) throws -> ModelVersion { try store.version(model, number) }

    public func artifact(_ model: String, _ number: Int) throws -> [UInt8] { try store.artifact(model, number).bytes }

    public func approve(_ model: String, _ number: Int, reason: String) throws {
        try store.setStatus(model, number, .approved, reason: reason, actor: "pipeline")
    }

    public func promote(_ model: String, alias: String, to number: Int, reason: String) throws {
        try store.promote(model, alias: alias, to: number, reason: reason, actor: "pipeline")
    }
}

/// A registry over HTTP (`coordinator --registry URL`), with the coordinator's token.
public struct HTTPRegistry: PipelineRegistry {
    public let client: RegistryClient

    public init(client: RegistryClient) { self.client = client }

    public func publish(name: String, artifact: [UInt8], description: String) throws -> Int {
        try HTTPPublisher(client: client).publish(name: name, artifact: artifact, description: description)
    }

    public func fetch(_ reference: DatasetReference) throws -> (version: Int, sha256: String, bytes: [UInt8]) {
        try HTTPFetcher(client: client).fetch(reference)
    }

    public func datasetVersion(_ reference: DatasetReference) throws -> DatasetVersion? {
        let client = self.client
        return try Self.absentIfNotFound { try Blocking.wait { try await client.dataset(reference) } }
    }

    public func serving(_ model: String, alias: String) throws -> ModelVersion? {
        let client = self.client
        return try Self.absentIfNotFound { try Blocking.wait { try await client.resolve(model, alias: alias) } }
    }

    public func version(_ model: String, _ number: Int) throws -> ModelVersion {
        let client = self.client
        return try Blocking.wait { try await client.version(model, number) }
    }

    public func artifact(_ model: String, _ number: Int) throws -> [UInt8] {
        let client = self.client
        return try Blocking.wait { try await client.download(model, version: number) }.bytes
    }

    public func approve(_ model: String, _ number: Int, reason: String) throws {
        let client = self.client
        _ = try Blocking.wait { try await client.setStatus(model, number, .approved, reason: reason) }
    }

    public func promote(_ model: String, alias: String, to number: Int, reason: String) throws {
        let client = self.client
        _ = try Blocking.wait { try await client.promote(model, alias: alias, to: number, reason: reason) }
    }
}
