import CZMQ

/// A ZeroMQ socket. **Not thread-safe**: create, use and close it on one thread.
///
/// Blocking calls (`send`/`receive` without `dontWait`, ``poll(_:timeoutMilliseconds:)``)
/// must never run on Swift's cooperative thread pool; use ``ZMQSocketLoop``, which owns a
/// socket on a dedicated thread and bridges it to async code.
public final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    /// Keeps the context alive until this socket is closed.
    private let context: ZMQContext
    /// The socket pattern.
    public let kind: ZMQSocketKind
    private var isClosed = false

    /// Creates a socket of `kind` in `context`.
    public init(context: ZMQContext, kind: ZMQSocketKind) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else {
            throw .last("zmq_socket(\(kind))")
        }
        self.handle = handle
        self.context = context
        self.kind = kind
    }

    /// Sets an option; see ``ZMQSocketOption`` for units.
    public func set(_ option: ZMQSocketOption) throws(ZMQError) {
        guard option.apply(to: handle) != 0 else { return }
        // Never put a secret key into an error message (and so into a log).
        if case .curveSecretKey = option { throw .last("zmq_setsockopt(ZMQ_CURVE_SECRETKEY)") }
        throw .last("zmq_setsockopt(\(option))")
    }

    /// Starts publishing this socket's events on a PAIR socket bound at `endpoint`
    /// (`inproc://…`), as `zmq_socket_monitor` does; read them with ``ZMQMonitorEvent``.
    /// `events` is a mask of `ZMQ_EVENT_*` values. Call it on the socket's own thread.
    public func monitor(_ endpoint: String, events: Int32) throws(ZMQError) {
        if zmq_socket_monitor(handle, endpoint, events) != 0 { throw .last("zmq_socket_monitor(\(endpoint))") }
    }

    /// Binds to an endpoint such as `tcp://0.0.0.0:5555` or `inproc://name`.
    public func bind(_ endpoint: String) throws(ZMQError) {
        if zmq_bind(handle, endpoint) != 0 { throw .last("bind \(endpoint)") }
    }

    /// Connects to an endpoint; libzmq reconnects by itself if the peer goes away.
    public func connect(_ endpoint: String) throws(ZMQError) {
        if zmq_connect(handle, endpoint) != 0 { throw .last("connect \(endpoint)") }
    }

    /// The endpoint last bound, with the concrete port when bound to port `*` or 0.
    public func lastEndpoint() throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        if zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) != 0 {
            throw .last("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends a multipart message.
    ///
    /// - Returns: `false` if `dontWait` is set and the message could not be queued now
    ///   (high-water mark reached or no peer yet); nothing was sent in that case, because
    ///   libzmq only refuses the first part of a multipart message.
    /// - Throws: ``ZMQError`` for any other failure, e.g. `EHOSTUNREACH` on a ROUTER with
    ///   ``ZMQSocketOption/routerMandatory(_:)`` when the addressed peer is gone.
    @discardableResult
    public func send(_ frames: [ZMQFrame], dontWait: Bool = false) throws(ZMQError) -> Bool {
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        var part = zmq_msg_t()
        for (index, frame) in frames.enumerated() {
            let last = index == frames.count - 1
            var flags: Int32 = last ? 0 : ZMQ_SNDMORE
            if dontWait { flags |= ZMQ_DONTWAIT }
            frame.makeSendableCopy(into: &part)
            while zmq_msg_send(&part, handle, flags) < 0 {
                let error = ZMQError.last("send")
                if error.isInterrupted { continue }
                zmq_msg_close(&part)
                if error.isWouldBlock && index == 0 { return false }
                throw error
            }
        }
        return true
    }

    /// Receives one multipart message.
    ///
    /// - Returns: the frames, or `nil` if `dontWait` is set and no message is waiting.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [ZMQFrame]? {
        var frames: [ZMQFrame] = []
        repeat {
            let part = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
            zmq_msg_init(part)
            while zmq_msg_recv(part, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0) < 0 {
                let error = ZMQError.last("receive")
                if error.isInterrupted { continue }
                zmq_msg_close(part)
                part.deallocate()
                if error.isWouldBlock && frames.isEmpty { return nil }
                throw error
            }
            frames.append(ZMQFrame(taking: part))
        } while zmq_msg_more(frames[frames.count - 1].message) != 0
        return frames
    }

    /// Waits up to `timeoutMilliseconds` (-1 = forever) until this socket is readable.
    public func waitReadable(timeoutMilliseconds: Int) throws(ZMQError) -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: TY_POLLIN, revents: 0)
        while true {
            let rc = zmq_poll(&item, 1, timeoutMilliseconds)
            if rc >= 0 { return item.revents & TY_POLLIN != 0 }
            let error = ZMQError.last("zmq_poll")
            if !error.isInterrupted { throw error }
        }
    }

    /// Closes the socket. Pending messages are kept for the ``ZMQSocketOption/linger(milliseconds:)`` time.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        zmq_close(handle)
    }

    deinit { close() }
}
