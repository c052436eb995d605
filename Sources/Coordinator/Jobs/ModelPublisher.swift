import Foundation
import ModelRegistry

/// Publishes a successful job's model as a new registry version.
public protocol ModelPublisher: Sendable {
    /// Publishes `artifact` (model file bytes) as the next version of `name`; returns the version.
    func publish(name: String, artifact: [UInt8], description: String) throws -> Int
}

/// Publishes into a registry directory directly: the coordinator's embedded registry.
public struct StorePublisher: ModelPublisher {
    public let store: RegistryStore

    public init(store: RegistryStore) { self.store = store }

    public func publish(name: String, artifact: [UInt8], description: String) throws -> Int {
        try store.publish(name: name, artifact: artifact, description: description).version
    }
}

/// Publishes to a registry over HTTP. Called from the job thread, which it blocks until the
/// upload is answered (never a cooperative-pool thread).
public struct HTTPPublisher: ModelPublisher {
    public let client: RegistryClient

    public init(client: RegistryClient) { self.client = client }

    public func publish(name: String, artifact: [UInt8], description: String) throws -> Int {
        let client = self.client
        return try Blocking.wait { try await client.publish(name: name, artifact: artifact, description: description).version }
    }
}
