import Crypto
import Foundation
import Logging
import ModelRegistry
import NIOPosix
import ServiceLifecycle
import TrainyardML

/// Where a replica gets its model: an alias in a registry, followed as it moves, or a
/// model file loaded once.
public enum ModelSource: Sendable {
    case registry(RegistryClient, name: String, alias: String)
    case file(path: String, name: String)
}

/// Keeps a ``ModelSlot`` filled from a ``ModelSource``: loads at start, and for a registry
/// alias polls it and, when it moves, downloads the new version (checked against its
/// SHA-256), decodes it off the request path and swaps it in. A failed download keeps serving
/// the current version and is retried at the next poll; a file that downloads but does not
/// load (``ModelFileError``: a broken structure behind a valid checksum, say) is a refusal:
/// recorded in the slot, logged once as an error, counted, and not fetched again until the
/// alias moves.
public struct ModelWatcher: Service {
    public let source: ModelSource
    public let slot: ModelSlot
    public let pollInterval: Duration
    public let metrics: ServingMetrics
    public let logger: Logger
    /// The drift window of every version loaded.
    public let drift: DriftMonitor.Settings

    public init(source: ModelSource, slot: ModelSlot, pollInterval: Duration, metrics: ServingMetrics, logger: Logger,
                drift: DriftMonitor.Settings = .init()) {
        self.drift = drift
        self.source = source
        self.slot = slot
        self.pollInterval = pollInterval
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        switch source {
        case .file(let path, let name):
            do {
                let bytes = try await NIOThreadPool.singleton.runIfActive { () throws -> [UInt8] in
                    guard let data = FileManager.default.contents(atPath: path) else { throw ModelFileError.io(path, "cannot read the file") }
                    return [UInt8](data)
                }
                try await install(name: name, version: 1, sha256: SHA256Hex.of(bytes), bytes: bytes, origin: path)
            } catch {
                metrics.modelLoadFailed()
                logger.error("cannot load the model file", metadata: ["path": "\(path)", "error": "\(error)"])
                throw error
            }
            try? await gracefulShutdown()
        case .registry(let client, let name, let alias):
            try? await cancelWhenGracefulShutdown {
                var backoff = PollBackoff(interval: pollInterval)
                while !Task.isCancelled {
                    let failure = await poll(client: client, name: name, alias: alias)
                    if let failure {
                        // Logged once per different reason, not at every retry: an alias nobody has promoted yet is
                        // a normal state for a replica started before the model exists.
                        if backoff.fail(failure) {
                            logger.warning("cannot load \(name)@\(alias) from the registry; retrying with backoff (up to \(backoff.cap))",
                                           metadata: ["error": "\(failure)"])
                        }
                    } else if backoff.succeed() {
                        logger.notice("\(name)@\(alias) is reachable again")
                    }
                    try await Task.sleep(for: backoff.delay)
                }
            }
        }
    }

    /// Polls the alias once; returns why it could not load the alias's version (`nil`: serving it, or refused it).
    private func poll(client: RegistryClient, name: String, alias: String) async -> String? {
        do {
            let target = try await client.resolve(name, alias: alias)
            if let current = slot.model, current.version == target.version, current.sha256 == target.sha256 { return nil }
            if let refused = slot.refusal, refused.version == target.version, refused.sha256 == target.sha256 { return nil }
            let (version, sha256, bytes) = try await client.download(name, version: target.version)
            do {
                try await install(name: name, version: version, sha256: sha256, bytes: bytes, origin: client.baseURL)
            } catch let error as ModelFileError {
                slot.refusal = ModelRefusal(version: version, sha256: sha256, reason: error.description)
                metrics.modelRefused()
                logger.error("refusing \(name) version \(version) (\(alias)): its file does not load; still serving \(slot.model.map { "version \($0.version)" } ?? "nothing")",
                             metadata: ["error": "\(error)", "sha256": "\(sha256.prefix(12))"])
            }
        } catch {
            metrics.modelLoadFailed()
            return "\(error)"
        }
        return nil
    }

    private func install(name: String, version: Int, sha256: String, bytes: [UInt8], origin: String) async throws {
        let drift = self.drift
        let served = try await NIOThreadPool.singleton.runIfActive { () throws -> ServedModel in
            ServedModel(name: name, version: version, sha256: sha256, model: try ModelFile.decode(bytes, path: "\(name) version \(version)"),
                        drift: drift)
        }
        let old = slot.swap(served)
        metrics.modelLoaded(served)
        logger.notice("serving \(name) version \(version)", metadata: [
            "previous": "\(old.map { String($0.version) } ?? "none")", "sha256": "\(sha256.prefix(12))", "from": "\(origin)"])
    }
}

/// How long a replica waits between polls of its alias: the poll interval while polls succeed; after failures (the
/// alias does not exist yet, the registry is down) doubling from it up to ``cap`` — 30 s, or 32 poll intervals if
/// that is less — and back to the interval after the first success.
struct PollBackoff {
    let interval: Duration
    let cap: Duration
    private(set) var delay: Duration
    private var lastFailure: String?

    init(interval: Duration) {
        self.interval = interval
        cap = max(interval, min(.seconds(30), interval * 32))
        delay = interval
    }

    /// Records a failed poll; returns whether its reason differs from the previous failure's (log it then).
    mutating func fail(_ reason: String) -> Bool {
        delay = lastFailure == nil ? interval : min(delay * 2, cap)
        defer { lastFailure = reason }
        return reason != lastFailure
    }

    /// Records a successful poll; returns whether it ends a run of failures.
    mutating func succeed() -> Bool {
        delay = interval
        defer { lastFailure = nil }
        return lastFailure != nil
    }
}

/// SHA-256 hex of bytes.
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hex }
}
