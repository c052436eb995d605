import NIOCore
import Synchronization

/// The open client connections, so that shutdown can ask each to finish its request and close.
/// One lock operation per connection opened or closed, none per request.
final class ChannelTracker: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLock { $0.removeValue(forKey: id) }
        }
    }

    var all: [any Channel] { channels.withLock { Array($0.values) } }
}
