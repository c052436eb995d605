import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 channel with ``ConnectionTimeouts`` enforced on every connection: a
/// ``SlowClientWatcher`` first in the pipeline (after the TLS handler when the server has a ``TLSIdentity``, so it
/// sees decrypted bytes and its `408` is encrypted; an ``EncryptedBytesWatcher`` before the TLS handler times the
/// handshake as part of the head), a
/// ``RequestPartsWatcher`` after the HTTP codec. Used by the replica and the registry through
/// ``HummingbirdCore/HTTPServerBuilder/guarded(_:tls:)``.
public struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = HTTP1Channel.Value

    public let responder: HTTPChannelHandler.Responder
    public let timeouts: ConnectionTimeouts
    /// When set, connections speak TLS (HTTPS) with this certificate.
    public let tls: TLSIdentity?

    public init(responder: @escaping HTTPChannelHandler.Responder, timeouts: ConnectionTimeouts, tls: TLSIdentity? = nil) {
        self.responder = responder
        self.timeouts = timeouts
        self.tls = tls
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let watcher = NIOLoopBound(SlowClientWatcher(timeouts: timeouts), eventLoop: channel.eventLoop)
        let inner = HTTP1Channel(responder: responder,
                                 configuration: .init(additionalChannelHandlers: [RequestPartsWatcher(watcher: watcher.value)]))
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(watcher.value, position: .first)
            if let tls {
                let clock = watcher.value
                try pipeline.addHandlers([EncryptedBytesWatcher { clock.bytesArrived() }, tls.makeServerHandler()], position: .first)
            }
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// An HTTP/1 server whose connections are held to `timeouts` (see ``GuardedHTTP1Channel``), over TLS when `tls`
    /// is given.
    public static func guarded(_ timeouts: ConnectionTimeouts, tls: TLSIdentity? = nil) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, timeouts: timeouts, tls: tls) }
    }
}
