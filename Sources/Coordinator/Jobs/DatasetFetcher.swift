import Foundation
import ModelRegistry

/// Fetches a dataset version's file from the registry's dataset store for a job.
public protocol DatasetFetcher: Sendable {
    /// The version `reference` names (the latest without a version): its number, SHA-256 and
    /// bytes, checked against that SHA-256.
    func fetch(_ reference: DatasetReference) throws -> (version: Int, sha256: String, bytes: [UInt8])
}

/// Reads the coordinator's embedded registry directly.
public struct StoreFetcher: DatasetFetcher {
    public let store: DatasetStore

    public init(store: DatasetStore) { self.store = store }

    public func fetch(_ reference: DatasetReference) throws -> (version: Int, sha256: String, bytes: [UInt8]) {
        let (version, bytes) = try store.content(reference)
        return (version.version, version.sha256, bytes)
    }
}

/// Downloads from a registry over HTTP. Called off the cooperative pool (the job request
/// queue), which it blocks until the download is answered.
public struct HTTPFetcher: DatasetFetcher {
    public let client: RegistryClient

    public init(client: RegistryClient) { self.client = client }

    public func fetch(_ reference: DatasetReference) throws -> (version: Int, sha256: String, bytes: [UInt8]) {
        let client = self.client
        return try Blocking.wait { try await client.downloadDataset(reference) }
    }
}
