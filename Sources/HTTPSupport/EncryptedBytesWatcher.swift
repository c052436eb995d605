import NIOCore

/// Sits before the TLS handler of a guarded connection and reports every arrival of (still encrypted) bytes, so the
/// connection's clock starts its header timeout at the first byte of the handshake: a client that trickles or
/// stalls its handshake is timed like one that trickles a request head. Passes the bytes on unchanged.
public final class EncryptedBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let arrived: () -> Void

    /// A watcher calling `arrived` on the channel's event loop for every read.
    public init(arrived: @escaping () -> Void) {
        self.arrived = arrived
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrived()
        context.fireChannelRead(data)
    }
}
