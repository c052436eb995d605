import CZMQ

/// A libzmq context: the I/O threads and the registry of sockets created from it.
///
/// A context is thread-safe and may be shared freely. It is terminated when the last
/// reference goes away; because every ``ZMQSocket`` keeps its context alive, that happens
/// only after all of its sockets have been closed, so `zmq_ctx_term` never blocks forever.
public final class ZMQContext: Sendable {
    nonisolated(unsafe) let handle: UnsafeMutableRawPointer

    /// Creates a context with the given number of libzmq I/O threads.
    /// One I/O thread handles about a gigabyte per second; raise it only for heavier traffic.
    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw .last("zmq_ctx_new") }
        self.handle = handle
        if zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS, \(ioThreads))")
            zmq_ctx_term(handle)
            throw error
        }
    }

    /// Makes every blocking call on this context's sockets return `ETERM`.
    ///
    /// Socket owners then close their sockets; new sockets can no longer be created.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// Whether the linked libzmq supports a capability such as `"curve"` or `"ipc"`.
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }

    /// The linked libzmq version as `(major, minor, patch)`.
    public static var version: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
