import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 channel with ``ConnectionTimeouts`` enforced on every connection: a
/// ``SlowClientWatcher`` first in the pipeline, a ``RequestPartsWatcher`` after the HTTP codec. Used by the
/// replica and the registry through ``HummingbirdCore/HTTPServerBuilder/guarded(_:)``.
public struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = HTTP1Channel.Value

    public let responder: HTTPChannelHandler.Responder
    public let timeouts: ConnectionTimeouts

    public init(responder: @escaping HTTPChannelHandler.Responder, timeouts: ConnectionTimeouts) {
        self.responder = responder
        self.timeouts = timeouts
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let watcher = NIOLoopBound(SlowClientWatcher(timeouts: timeouts), eventLoop: channel.eventLoop)
        let inner = HTTP1Channel(responder: responder,
                                 configuration: .init(additionalChannelHandlers: [RequestPartsWatcher(watcher: watcher.value)]))
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(watcher.value, position: .first)
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// An HTTP/1 server whose connections are held to `timeouts` (see ``GuardedHTTP1Channel``).
    public static func guarded(_ timeouts: ConnectionTimeouts) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, timeouts: timeouts) }
    }
}
