import NIOCore
import NIOHTTP1

/// Turns each request head written by ``ResponseHandler`` into the prebuilt request bytes.
///
/// Sits between the socket and the response decoder: the decoder observes the head going out (it
/// needs the method to parse the response), and this handler writes the request's bytes instead of
/// encoding the head, so no request is serialized twice. Body and end parts are never written.
final class RequestBytesWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer

    private let bytes: ByteBuffer

    init(bytes: ByteBuffer) { self.bytes = bytes }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            context.write(wrapOutboundOut(bytes), promise: promise)
        case .body, .end:
            promise?.succeed(())
        }
    }
}
