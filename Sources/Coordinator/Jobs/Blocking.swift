import Foundation

/// Runs async work from a thread that may block (the job thread, the job request queue, never
/// a cooperative-pool thread) and waits for its result: how the coordinator's synchronous job
/// side calls the async registry client.
enum Blocking {
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox<T>()
        Task {
            do { result.set(.success(try await body())) } catch { result.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try result.get()
    }

    private final class ResultBox<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<T, any Error>?
        func set(_ value: Result<T, any Error>) { lock.withLock { self.value = value } }
        func get() throws -> T { try lock.withLock { value! }.get() }
    }
}
