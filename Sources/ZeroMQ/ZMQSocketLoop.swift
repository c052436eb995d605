import CZMQ
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Owns one socket on a dedicated thread and bridges it to Swift concurrency.
///
/// Received messages arrive on ``messages``, an `AsyncStream` fed by the socket thread;
/// ``send(_:)`` may be called from any thread or task and only enqueues. The thread waits
/// in `zmq_poll` on both the socket and an `eventfd` that `send` and ``close()`` signal,
/// so it never spins and never blocks the cooperative pool. Messages that cannot be queued
/// because of the high-water mark stay in the outbox until the socket is writable again.
public final class ZMQSocketLoop: Sendable {
    /// A message handed to ``ZMQSocketLoop/send(_:)`` that libzmq refused.
    public struct SendFailure: Sendable {
        /// The message's first frame (for a ROUTER, the peer's routing id).
        public let firstFrame: ZMQFrame
        /// libzmq's error.
        public let error: ZMQError
    }

    /// Every message received, in order. Finishes when the loop closes.
    public let messages: AsyncStream<[ZMQFrame]>
    /// The socket's last bound or connected endpoint (with the concrete port for a bind to port 0).
    public let boundEndpoint: String?
    private let shared: SocketLoopShared

    /// Creates the socket on a new thread, runs `configure` on it (set options, bind or
    /// connect), and starts the loop.
    ///
    /// - Parameters:
    ///   - name: the thread's name, shown by debuggers and `top -H`.
    ///   - onSendFailure: called on the socket thread when a message is dropped, e.g. a ROUTER
    ///     addressing a peer that has gone (`EHOSTUNREACH` with `routerMandatory`).
    /// - Throws: the error `configure` threw, after the socket has been closed.
    public init(
        context: ZMQContext,
        kind: ZMQSocketKind,
        name: String,
        onSendFailure: (@Sendable (SendFailure) -> Void)? = nil,
        configure: @escaping @Sendable (ZMQSocket) throws -> Void
    ) throws {
        let (stream, continuation) = AsyncStream<[ZMQFrame]>.makeStream()
        let shared = try SocketLoopShared(continuation: continuation, onSendFailure: onSendFailure)
        let setup = Mutex<Result<String?, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread {
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, kind: kind)
                do {
                    try configure(socket)
                } catch {
                    try? socket.set(.linger(milliseconds: 0))
                    socket.close()
                    throw error
                }
                let endpoint = try? socket.lastEndpoint()
                setup.withLock { $0 = .success(endpoint?.isEmpty == false ? endpoint : nil) }
            } catch {
                setup.withLock { $0 = .failure(error) }
                ready.signal()
                shared.finish()
                return
            }
            ready.signal()
            shared.run(socket)
        }
        thread.name = name
        thread.start()
        ready.wait()
        switch setup.withLock({ $0 })! {
        case .success(let endpoint): boundEndpoint = endpoint
        case .failure(let error): throw error
        }
        self.messages = stream
        self.shared = shared
    }

    /// Queues a message for sending from the socket thread. Thread-safe; never blocks.
    /// Messages sent after ``close()`` are dropped.
    public func send(_ frames: [ZMQFrame]) {
        shared.enqueue(frames)
    }

    /// Asks the loop to flush its outbox, close the socket (keeping unsent messages for the
    /// socket's linger time) and finish ``messages``. Returns at once; see ``closed()``.
    public func close() {
        shared.requestClose()
    }

    /// Waits until the socket thread has closed its socket and exited.
    public func closed() async {
        await shared.waitFinished()
    }

    deinit {
        shared.requestClose()
    }
}

/// State shared between a ``ZMQSocketLoop`` and its socket thread.
final class SocketLoopShared: Sendable {
    private struct Outbox {
        var messages: [[ZMQFrame]] = []
        var closing = false
    }

    private let outbox = Mutex(Outbox())
    private let finishWaiters = Mutex<[CheckedContinuation<Void, Never>]?>([])
    private let wakeFD: Int32
    private let continuation: AsyncStream<[ZMQFrame]>.Continuation
    private let onSendFailure: (@Sendable (ZMQSocketLoop.SendFailure) -> Void)?

    init(continuation: AsyncStream<[ZMQFrame]>.Continuation,
         onSendFailure: (@Sendable (ZMQSocketLoop.SendFailure) -> Void)?) throws(ZMQError) {
        let fd = ty_wake_fd_create()
        guard fd >= 0 else { throw ZMQError(code: errno, operation: "eventfd") }
        wakeFD = fd
        self.continuation = continuation
        self.onSendFailure = onSendFailure
    }

    func enqueue(_ frames: [ZMQFrame]) {
        let accepted = outbox.withLock { box in
            guard !box.closing else { return false }
            box.messages.append(frames)
            return true
        }
        if accepted { wake() }
    }

    func requestClose() {
        outbox.withLock { $0.closing = true }
        wake()
    }

    func waitFinished() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = finishWaiters.withLock { waiters -> Bool in
                guard waiters != nil else { return true }
                waiters!.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, MemoryLayout<UInt64>.size)
    }

    /// The socket thread's loop. Returns after the socket is closed.
    func run(_ socket: ZMQSocket) {
        var pending: [[ZMQFrame]] = []
        var pendingStart = 0
        var closing = false
        loop: while true {
            var items = [
                zmq_pollitem_t(socket: socket.handle, fd: 0,
                               events: TY_POLLIN | (pendingStart < pending.count ? TY_POLLOUT : 0), revents: 0),
                zmq_pollitem_t(socket: nil, fd: wakeFD, events: TY_POLLIN, revents: 0),
            ]
            if zmq_poll(&items, 2, -1) < 0 {
                let error = ZMQError.last("zmq_poll")
                if error.isInterrupted { continue }
                break loop
            }
            if items[1].revents & TY_POLLIN != 0 {
                var counter: UInt64 = 0
                _ = read(wakeFD, &counter, MemoryLayout<UInt64>.size)
                let (taken, isClosing) = outbox.withLock { box in
                    let taken = box.messages
                    box.messages.removeAll(keepingCapacity: true)
                    return (taken, box.closing)
                }
                pending.append(contentsOf: taken)
                closing = isClosing
            }
            do {
                while let frames = try socket.receive(dontWait: true) {
                    continuation.yield(frames)
                }
            } catch {
                if error.isContextTerminated { break loop }
            }
            while pendingStart < pending.count {
                let frames = pending[pendingStart]
                do {
                    guard try socket.send(frames, dontWait: true) else { break }
                } catch {
                    if error.isContextTerminated { break loop }
                    onSendFailure?(.init(firstFrame: frames[0], error: error))
                }
                pendingStart += 1
            }
            if pendingStart == pending.count {
                pending.removeAll(keepingCapacity: true)
                pendingStart = 0
            } else if pendingStart > 1024 {
                pending.removeFirst(pendingStart)
                pendingStart = 0
            }
            // Messages already handed to libzmq are kept for the socket's linger time; any
            // still held back by the high-water mark are dropped with the socket.
            if closing { break loop }
        }
        socket.close()
        finish()
    }

    /// Finishes the stream, wakes ``waitFinished()`` callers and releases the eventfd.
    func finish() {
        continuation.finish()
        let waiters = finishWaiters.withLock { waiters in
            let current = waiters ?? []
            waiters = nil
            return current
        }
        for waiter in waiters { waiter.resume() }
    }

    deinit {
        close(wakeFD)
    }
}
