/// Polls `condition` until it returns a value or `timeout` passes.
///
/// Returns the value and how long it took, or `nil` on timeout. Multi-process tests use it
/// instead of fixed sleeps so they are as fast as the system allows and bounded in time.
public func eventually<T>(timeout: Duration, every interval: Duration = .milliseconds(50),
                          _ condition: () async throws -> T?) async rethrows -> (value: T, after: Duration)? {
    let start = ContinuousClock.now
    while true {
        if let value = try await condition() { return (value, ContinuousClock.now - start) }
        if ContinuousClock.now - start > timeout { return nil }
        try? await Task.sleep(for: interval)
    }
}
