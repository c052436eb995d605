import Foundation
import Synchronization

/// Reads a socket's monitor events (``ZMQSocket/monitor(_:events:)``) on a PAIR socket of its
/// own thread and hands each decoded ``ZMQMonitorEvent`` to `onEvent`, off the cooperative
/// pool's blocking calls. Close it after the monitored socket.
public final class ZMQMonitor: Sendable {
    private let loop: ZMQSocketLoop
    private let reader: Task<Void, Never>

    /// A fresh `inproc://` endpoint for one socket's monitor.
    public static func endpoint(_ name: String) -> String {
        "inproc://trainyard-monitor-\(name)-\(UUID().uuidString.prefix(8))"
    }

    /// Connects to the monitor of a socket that publishes on `endpoint`.
    public init(context: ZMQContext, endpoint: String, onEvent: @escaping @Sendable (ZMQMonitorEvent) -> Void) throws {
        let loop = try ZMQSocketLoop(context: context, kind: .pair, name: "zmq-monitor") { socket in
            try socket.set(.linger(milliseconds: 0))
            try socket.connect(endpoint)
        }
        self.loop = loop
        reader = Task {
            for await frames in loop.messages {
                if let event = ZMQMonitorEvent(frames: frames) { onEvent(event) }
            }
        }
    }

    /// Stops reading and closes the PAIR socket.
    public func close() {
        loop.close()
        reader.cancel()
    }
}
