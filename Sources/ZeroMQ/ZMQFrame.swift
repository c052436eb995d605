import CZMQ

/// One immutable ZeroMQ message part, backed by a `zmq_msg_t`.
///
/// Frames are created once and never mutated, so they can be shared between threads and
/// sent many times: a send hands libzmq a reference-counted copy (`zmq_msg_copy`), not the
/// bytes. Large payloads cross the boundary without copies: ``init(count:initializingWith:)``
/// writes directly into libzmq's buffer, ``init(adopting:)`` hands an array's storage to
/// libzmq with a free function, and received frames expose libzmq's buffer in place.
///
/// Sending the same frame from two threads at once is not supported (libzmq's copy marks
/// the source shared without a lock); each socket is owned by one thread, so in practice a
/// frame is sent from the thread that owns the destination socket.
public final class ZMQFrame: @unchecked Sendable {
    let message: UnsafeMutablePointer<zmq_msg_t>

    /// Allocates a frame of `count` bytes and lets `body` write its contents in place.
    public init(count: Int, initializingWith body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        message = .allocate(capacity: 1)
        guard zmq_msg_init_size(message, count) == 0 else {
            message.deallocate()
            fatalError("zmq_msg_init_size(\(count)) failed: out of memory")
        }
        do {
            try body(UnsafeMutableRawBufferPointer(start: zmq_msg_data(message), count: count))
        } catch {
            zmq_msg_close(message)
            message.deallocate()
            throw error
        }
    }

    /// A frame holding a copy of `bytes`.
    public convenience init(bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// A frame holding the UTF-8 bytes of `string`.
    public convenience init(string: String) {
        self.init(bytes: Array(string.utf8))
    }

    /// A frame that shares `array`'s storage with libzmq instead of copying it.
    ///
    /// The array is retained until libzmq releases the message (after the last send
    /// completes), through `zmq_msg_init_data` with a free function. Elements are sent
    /// in the machine's byte order, which is little-endian on every platform we support.
    public convenience init<Element: BitwiseCopyable>(adopting array: [Element]) {
        self.init(adopting: array, bytes: 0..<array.count * MemoryLayout<Element>.stride)
    }

    /// A frame that shares bytes `range` of `array`'s storage with libzmq, retaining the
    /// array as ``init(adopting:)`` does.
    public init<Element: BitwiseCopyable>(adopting array: [Element], bytes range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= array.count * MemoryLayout<Element>.stride,
                     "bytes \(range) of a \(array.count * MemoryLayout<Element>.stride)-byte array")
        message = .allocate(capacity: 1)
        guard !range.isEmpty else {
            zmq_msg_init(message)
            return
        }
        let box = ArrayStorageBox(array)
        let hint = Unmanaged.passRetained(box as AnyObject).toOpaque()
        let rc = zmq_msg_init_data(message, box.baseAddress! + range.lowerBound, range.count, { _, hint in
            Unmanaged<AnyObject>.fromOpaque(hint!).release()
        }, hint)
        precondition(rc == 0, "zmq_msg_init_data failed")
    }

    /// Takes ownership of an initialised message received from libzmq.
    init(taking received: UnsafeMutablePointer<zmq_msg_t>) {
        message = received
    }

    /// The number of bytes in the frame.
    public var count: Int { zmq_msg_size(message) }

    /// Calls `body` with the frame's bytes, in place (no copy).
    /// The pointer must not escape `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message)))
    }

    /// A copy of the frame's bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// A new `zmq_msg_t` sharing this frame's buffer, for libzmq to consume on send.
    func makeSendableCopy(into destination: UnsafeMutablePointer<zmq_msg_t>) {
        zmq_msg_init(destination)
        let rc = zmq_msg_copy(destination, message)
        precondition(rc == 0, "zmq_msg_copy failed: \(ZMQError.last("zmq_msg_copy"))")
    }

    deinit {
        zmq_msg_close(message)
        message.deallocate()
    }
}

/// Keeps an array's storage alive while libzmq holds a pointer into it.
private final class ArrayStorageBox<Element: BitwiseCopyable> {
    let array: [Element]
    let baseAddress: UnsafeMutableRawPointer?

    init(_ array: [Element]) {
        self.array = array
        // The array is never mutated after this point, so its contiguous storage stays
        // where it is for as long as the box retains it.
        baseAddress = array.withUnsafeBufferPointer { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
    }
}

extension ZMQFrame: CustomStringConvertible {
    public var description: String { "ZMQFrame(\(count) bytes)" }
}
