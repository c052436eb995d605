import NIOCore
import NIOHTTP1

/// The proxy's byte-level request and response paths, driven from arbitrary bytes, for the fuzz targets
/// (`Tests/Fuzz`) and their corpus replay. `package` access: the framers stay internal to the proxy.
///
/// Each entry splits its input into socket reads of varied sizes (chosen by the first byte), runs the framer over
/// them and writes every head it yields the way the handler does (``ForwardedRequest``, ``ClientResponseHead``),
/// so AddressSanitizer watches the raw head writes too. Malformed input is fine; what traps is a broken invariant:
/// a `Content-Length` body of another size, events out of order, or a forwarded request that the proxy's own
/// strict framer would read differently.
package enum FramingFuzzEntry {
    /// Client bytes through ``RequestFramer`` and ``ForwardedRequest``.
    package static func requests(_ data: UnsafeRawBufferPointer) {
        guard let control = data.first else { return }
        var framer = RequestFramer()
        var ids = RequestIDGenerator()
        var open: (forwarded: ForwardedRequest, framing: BodyFraming, body: ByteBuffer)?
        for read in Reads(control: control, bytes: UnsafeRawBufferPointer(rebasing: data.dropFirst())) {
            do {
                try framer.feed(ByteBuffer(bytes: read)) { event in
                    switch event {
                    case .head(let head):
                        precondition(open == nil, "a request head before the previous request ended")
                        precondition(head.framing != .untilClose, "a request body delimited by the close")
                        let forwarded = ForwardedRequest(client: head, clientAddress: "10.0.0.1", ids: &ids, buffer: ByteBuffer())
                        open = (forwarded, head.framing, ByteBuffer())
                    case .body(let slice):
                        precondition(open != nil, "a body before its head")
                        open!.body.writeImmutableBuffer(slice)
                    case .end:
                        guard var request = open else { preconditionFailure("an end without a head") }
                        open = nil
                        if case .length(let length) = request.framing {
                            precondition(request.body.readableBytes == length, "a Content-Length body of another size")
                        }
                        let message = request.forwarded.message(body: request.body)
                        reframe(message.head, body: message.body, bodyBytes: request.body.readableBytes)
                    }
                }
            } catch {
                return
            }
        }
    }

    /// A forwarded request must be one request to a strict framer, with the body the proxy meant to send.
    private static func reframe(_ head: ByteBuffer, body: ByteBuffer?, bodyBytes: Int) {
        var bytes = head
        if let body { bytes.writeImmutableBuffer(body) }
        var framer = RequestFramer()
        var heads = 0, ends = 0, received = 0
        do {
            try framer.feed(bytes) { event in
                switch event {
                case .head: heads += 1
                case .body(let slice): received += slice.readableBytes
                case .end: ends += 1
                }
            }
        } catch {
            // Only a head the proxy grew past the limit (by its own lines) may be refused.
            precondition(head.readableBytes > RequestFramer.maxHeadBytes, "the proxy forwarded a malformed request: \(error)")
            return
        }
        precondition(heads == 1 && ends == 1 && received == bodyBytes, "a forwarded request framed differently")
    }

    /// Backend bytes through ``ResponseFramer`` and ``ClientResponseHead``: the second byte says how many responses
    /// are expected (1–4, pipelined), which answer `HEAD` requests, and whether the client speaks HTTP/1.0.
    package static func responses(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 2 else { return }
        let control = data[0], shape = data[1]
        var framer = ResponseFramer()
        for index in 0...Int(shape & 0x03) { framer.expectResponse(toHead: shape & (0x04 << index) != 0) }
        let version: HTTPVersion = shape & 0x40 != 0 ? .http1_0 : .http1_1
        var open: (framing: BodyFraming, received: Int)?
        func event(_ event: ResponseFramer.Event) {
            switch event {
            case .head(let head):
                precondition(open == nil, "a response head before the previous response ended")
                precondition(head.status >= 200 && head.status <= 999, "an interim or impossible status forwarded")
                var keepAlive = head.keepAlive, chunked = false
                var out = ByteBuffer()
                ClientResponseHead.write(from: head, requestID: "fuzz-request", version: version, keepAlive: &keepAlive,
                                         chunked: &chunked, into: &out)
                open = (head.framing, 0)
            case .body(let slice):
                precondition(open != nil, "a body before its head")
                open!.received += slice.readableBytes
            case .end:
                guard let response = open else { preconditionFailure("an end without a head") }
                open = nil
                if case .length(let length) = response.framing {
                    precondition(response.received == length, "a Content-Length body of another size")
                }
            }
        }
        for read in Reads(control: control, bytes: UnsafeRawBufferPointer(rebasing: data.dropFirst(2))) {
            do { try framer.feed(ByteBuffer(bytes: read), event) } catch { return }
        }
        if framer.endOfInput() {
            guard let response = open, response.framing == .untilClose else { preconditionFailure("a close ended a body it does not delimit") }
            open = nil
        }
    }

    /// `bytes` cut into reads: one read when `control` is 0, otherwise pieces of 1–`control` bytes whose sizes follow
    /// a small generator seeded by `control`.
    private struct Reads: Sequence, IteratorProtocol {
        let control: UInt8
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        var state: UInt32

        init(control: UInt8, bytes: UnsafeRawBufferPointer) {
            self.control = control
            self.bytes = bytes
            state = UInt32(control) &* 2_654_435_761 | 1
        }

        mutating func next() -> UnsafeRawBufferPointer? {
            guard offset < bytes.count else { return nil }
            var size = bytes.count - offset
            if control != 0 {
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                size = Swift.min(size, 1 + Int(state % UInt32(control)))
            }
            defer { offset += size }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])
        }
    }
}
