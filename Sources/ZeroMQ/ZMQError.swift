import CZMQ

/// An error reported by libzmq, carrying its `errno` and the operation that failed.
///
/// `description` includes libzmq's own `zmq_strerror` text so that a log line is
/// actionable without looking up the number.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The libzmq or POSIX error number (`zmq_errno()` at the time of failure).
    public let code: Int32
    /// What was being attempted, e.g. `"bind tcp://0.0.0.0:5555"`.
    public let operation: String

    /// An error with an explicit number (e.g. a POSIX `errno`) for `operation`.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Captures `zmq_errno()` for the operation that just failed.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation())
    }

    /// libzmq's text for this error.
    public var message: String { String(cString: zmq_strerror(code)) }

    public var description: String { "\(operation) failed: \(message) (errno \(code))" }

    /// The operation would have blocked (`EAGAIN`).
    public var isWouldBlock: Bool { code == EAGAIN }
    /// The context was terminated (`ETERM`): the owning thread should close its socket and exit.
    public var isContextTerminated: Bool { code == TY_ETERM }
    /// A ROUTER socket with `routerMandatory` could not route to the given peer (`EHOSTUNREACH`).
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }
    /// The call was interrupted by a signal (`EINTR`) and may be retried.
    public var isInterrupted: Bool { code == EINTR }
}
