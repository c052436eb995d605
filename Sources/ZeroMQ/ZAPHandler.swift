import CZMQ
import Foundation
import Synchronization

/// A ZeroMQ authentication handler (ZAP, RFC 27) for one context: a REP socket bound to
/// `inproc://zeromq.zap.01` on a thread of its own. libzmq asks it about every connection
/// that a CURVE server socket of the same context accepts, and admits the peer only on a
/// `200` answer. ``authorize`` decides; it runs on the handler's thread and must be quick.
public final class ZAPHandler: Sendable {
    /// The endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    /// One authentication request.
    public struct Request: Sendable {
        /// The server socket's `ZMQ_ZAP_DOMAIN`.
        public let domain: String
        /// The peer's IP address.
        public let address: String
        /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
        public let mechanism: String
        /// For CURVE, the client's long-term public key.
        public let clientKey: CurveKey?
    }

    /// The answer: admitted (`200`) or refused (`400`), with a text for libzmq's logs and a
    /// user id attached to the peer's messages.
    public struct Decision: Sendable {
        public var allowed: Bool
        public var reason: String
        public var userID: String

        public init(allowed: Bool, reason: String, userID: String = "") {
            self.allowed = allowed
            self.reason = reason
            self.userID = userID
        }
    }

    /// Set once by ``stop()``, read by the handler's thread.
    private final class StopFlag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        /// Sets the flag; whether it was clear before.
        func set() -> Bool { value.withLock { old in defer { old = true }; return !old } }
    }

    private let stopping = StopFlag()
    private let finished = DispatchSemaphore(value: 0)

    /// Binds the handler in `context` and starts answering. Throws if the bind fails (e.g.
    /// another handler is already bound in this context).
    public init(context: ZMQContext, authorize: @escaping @Sendable (Request) -> Decision) throws {
        let setup = Mutex<ZMQError?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let stopping = self.stopping, finished = self.finished
        let thread = Thread {
            defer { finished.signal() }
            let socket: ZMQSocket
            do throws(ZMQError) {
                socket = try ZMQSocket(context: context, kind: .reply)
                try socket.set(.linger(milliseconds: 0))
                try socket.bind(Self.endpoint)
            } catch {
                setup.withLock { $0 = error }
                ready.signal()
                return
            }
            ready.signal()
            defer { socket.close() }
            while !stopping.isSet {
                do throws(ZMQError) {
                    guard try socket.waitReadable(timeoutMilliseconds: 200), let frames = try socket.receive(dontWait: true) else { continue }
                    try socket.send(Self.answer(frames, authorize: authorize))
                } catch {
                    if error.isContextTerminated { return }
                }
            }
        }
        thread.name = "zap-handler"
        thread.start()
        ready.wait()
        if let error = setup.withLock({ $0 }) {
            finished.wait()
            _ = stopping.set()  // the thread is gone: stop() must not wait for it
            throw error
        }
    }

    /// The reply frames to one request (`1.0`, request id, status, text, user id, metadata).
    static func answer(_ frames: [ZMQFrame], authorize: (Request) -> Decision) -> [ZMQFrame] {
        let text = { (index: Int) in index < frames.count ? String(decoding: frames[index].bytes, as: UTF8.self) : "" }
        let requestID = frames.count > 1 ? frames[1] : ZMQFrame(bytes: [])
        guard frames.count >= 6, text(0) == "1.0" else {
            return [ZMQFrame(string: "1.0"), requestID, ZMQFrame(string: "500"), ZMQFrame(string: "malformed ZAP request"),
                    ZMQFrame(bytes: []), ZMQFrame(bytes: [])]
        }
        let mechanism = text(5)
        let key = mechanism == "CURVE" && frames.count >= 7 ? try? CurveKey(bytes: frames[6].bytes) : nil
        let decision = authorize(Request(domain: text(2), address: text(3), mechanism: mechanism, clientKey: key))
        return [ZMQFrame(string: "1.0"), requestID, ZMQFrame(string: decision.allowed ? "200" : "400"),
                ZMQFrame(string: decision.reason), ZMQFrame(string: decision.userID), ZMQFrame(bytes: [])]
    }

    /// Stops answering and closes the socket (within 200 ms). Connections asking afterwards
    /// are refused by libzmq, which finds no handler.
    public func stop() {
        if stopping.set() { finished.wait() }
    }

    deinit { stop() }
}
