import Foundation
import TrainyardProtocol
import ZeroMQ

/// Everything `trainyard worker` can be told, with documented defaults.
public struct WorkerSettings: Sendable {
    /// The coordinator's endpoint, e.g. `tcp://coordinator:5555`.
    public var connect: String
    /// What this worker announces in ``TrainyardProtocol/Register``.
    public var identity: Register
    /// Heartbeat interval used until the coordinator's ``TrainyardProtocol/Welcome`` sets its own. Default 1 s.
    public var heartbeatInterval: Duration = .seconds(1)
    /// Intervals of silence after which the coordinator is presumed gone. Default 3.
    public var heartbeatLiveness: Int = 3
    /// First delay before reconnecting to a silent coordinator; doubles up to ``reconnectMax``. Default 1 s.
    public var reconnectInitial: Duration = .seconds(1)
    /// Upper bound of the reconnect delay. Default 32 s.
    public var reconnectMax: Duration = .seconds(32)
    /// How often the session is re-evaluated. Default 100 ms.
    public var tickInterval: Duration = .milliseconds(100)
    /// How long a graceful shutdown waits for the deregistration to leave the socket. Default 1 s.
    public var shutdownFlush: Duration = .seconds(1)
    /// The protocol version written in headers; only tests set another one, to impersonate
    /// an incompatible peer.
    public var protocolVersion: UInt16 = ProtocolVersion.current
    /// Whether `TREE_GROW` is answered. Only tests turn it off, to impersonate a worker that
    /// implements just the per-level protocol (it answers `unsupported_message`).
    public var growsWholeTrees = true
    /// Bytes of received shards kept after their job for SHARD_BEGINs with `reuse` (every
    /// trial of a study on the same rows). Default ``defaultShardCacheBytes`` (1 GiB); 0 keeps none.
    public var shardCacheBytes = WorkerSettings.defaultShardCacheBytes
    public static let defaultShardCacheBytes = 1 << 30
    /// CurveZMQ: this worker's key pair and the coordinator's public key. `nil` (the
    /// default): plaintext, as a coordinator without CURVE expects.
    public var curve: CurveClientKeys?

    /// Settings with the documented defaults.
    public init(connect: String, identity: Register) {
        self.connect = connect
        self.identity = identity
    }

    /// A registration describing this process: host name, cores, physical memory and pid.
    /// The default id is `<host>-<pid>`, unique per process on a host and stable for the
    /// process's life, so a restarted coordinator sees the same worker come back.
    public static func localIdentity(workerID: String? = nil, cores: Int? = nil, software: String) -> Register {
        let info = ProcessInfo.processInfo
        let host = info.hostName
        let pid = info.processIdentifier
        return Register(workerID: workerID ?? "\(host)-\(pid)", host: host,
                        cores: cores ?? info.activeProcessorCount, memoryBytes: info.physicalMemory,
                        pid: pid, software: software)
    }
}
