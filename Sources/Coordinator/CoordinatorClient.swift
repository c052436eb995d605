import Foundation
import TrainyardProtocol
import ZeroMQ

/// A request–reply client for the coordinator's ROUTER socket (used by `trainyard cluster status`).
///
/// ``request(_:timeout:)`` blocks the calling thread in `zmq_poll`: call it from a command's
/// main thread, or use ``requestAsync(_:timeout:)``, which runs it on a thread of its own so
/// Swift's cooperative pool is never blocked.
public struct CoordinatorClient: Sendable {
    /// Why a request got no usable answer.
    public enum ClientError: Error, CustomStringConvertible {
        case timeout(endpoint: String, after: Duration)
        case refused(ErrorReply)
        case unexpectedReply(MessageType)
        case invalidReply(ProtocolError)
        case transport(ZMQError)

        public var description: String {
            switch self {
            case .timeout(let endpoint, let after):
                "no answer from the coordinator at \(endpoint) within \(after.seconds) s; is it running and reachable?"
            case .refused(let reply): "the coordinator refused the request: \(reply)"
            case .unexpectedReply(let type): "the coordinator answered with an unexpected \(type)"
            case .invalidReply(let error): "the coordinator's reply is malformed: \(error)"
            case .transport(let error): "\(error)"
            }
        }
    }

    public let endpoint: String
    private let context: ZMQContext
    /// CURVE keys for a coordinator that requires them (`nil`: plaintext).
    public let curve: CurveClientKeys?

    /// A client for the coordinator at `endpoint`, with `curve` keys when the coordinator runs
    /// CURVE (its allowlist must hold their public key). Each request opens and closes its own socket.
    public init(endpoint: String, context: ZMQContext, curve: CurveClientKeys? = nil) {
        self.endpoint = endpoint
        self.context = context
        self.curve = curve
    }

    /// Sends `message` and waits for the reply carrying the same correlation id.
    public func request(_ message: Message, timeout: Duration) throws(ClientError) -> Message {
        do {
            let socket = try ZMQSocket(context: context, kind: .dealer)
            defer { socket.close() }
            try socket.set(.linger(milliseconds: 0))
            try curve?.apply(to: socket)
            try socket.connect(endpoint)
            let correlationID = UInt64.random(in: 1...UInt64.max)
            try socket.send(WireCodec.encode(Envelope(message, correlationID: correlationID)))
            let deadline = ContinuousClock.now + timeout
            while true {
                let remaining = deadline - .now
                guard remaining > .zero,
                      try socket.waitReadable(timeoutMilliseconds: Int(remaining / .milliseconds(1)) + 1),
                      let frames = try socket.receive(dontWait: true) else {
                    if ContinuousClock.now >= deadline { throw ClientError.timeout(endpoint: endpoint, after: timeout) }
                    continue
                }
                let reply: Envelope
                do { reply = try WireCodec.decode(frames) } catch { throw ClientError.invalidReply(error) }
                guard reply.correlationID == correlationID || reply.correlationID == 0 else { continue }
                if case .error(let error) = reply.message { throw ClientError.refused(error) }
                if case .heartbeat = reply.message { continue }
                return reply.message
            }
        } catch let error as ClientError {
            throw error
        } catch let error as ZMQError {
            throw .transport(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// ``request(_:timeout:)`` on a dedicated thread, for async callers.
    public func requestAsync(_ message: Message, timeout: Duration) async throws(ClientError) -> Message {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Message, ClientError>, Never>) in
            Thread {
                do throws(ClientError) {
                    continuation.resume(returning: .success(try request(message, timeout: timeout)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }.start()
        }
        return try result.get()
    }

    /// The coordinator's membership table.
    public func status(timeout: Duration = .seconds(3)) throws(ClientError) -> ClusterStatus {
        let reply = try request(.statusRequest, timeout: timeout)
        guard case .statusReply(let status) = reply else { throw .unexpectedReply(reply.type) }
        return status
    }
}
