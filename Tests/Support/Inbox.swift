import Synchronization
import ZeroMQ

/// Collects a socket loop's messages so a test can take them one at a time with a timeout.
public final class Inbox: Sendable {
    private let received = Mutex<[[ZMQFrame]]>([])

    public init(_ messages: AsyncStream<[ZMQFrame]>) {
        Task { [weak self] in
            for await message in messages { self?.received.withLock { $0.append(message) } }
        }
    }

    /// The oldest message not yet taken, waiting up to `timeout` for one.
    public func next(within timeout: Duration) async -> [ZMQFrame]? {
        await eventually(timeout: timeout, every: .milliseconds(5)) {
            received.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        }?.value
    }
}
