import Dispatch
import DistributedTraining
import Logging
import ServiceLifecycle
import Synchronization
import TrainyardProtocol
import ZeroMQ

/// The worker process: a DEALER socket to the coordinator driven by a ``WorkerSession``,
/// run as a swift-service-lifecycle `Service`.
///
/// Reconnecting creates a fresh socket (discarding anything queued for the silent
/// coordinator); messages from an older socket are ignored by generation number. On
/// graceful shutdown (SIGTERM) the worker deregisters, flushes for up to
/// ``WorkerSettings/shutdownFlush`` and returns. It throws ``WorkerError/refused(_:)`` if
/// the coordinator refuses it.
///
/// Shard and training requests go to a ``ShardExecutor`` on a serial compute queue; its
/// replies leave through whichever socket is current, so heartbeats never wait for work.
public final class WorkerService: Service {
    private enum Input: Sendable {
        case frames([ZMQFrame], generation: Int)
        case tick
        case shutdown
    }

    public let settings: WorkerSettings
    private let context: ZMQContext
    private let logger: Logger
    /// Its Prometheus metrics (served by `worker --metrics-listen`).
    public let metrics: WorkerMetrics

    /// A worker that will connect to `settings.connect` when run.
    public init(settings: WorkerSettings, context: ZMQContext, logger: Logger) {
        self.settings = settings
        metrics = WorkerMetrics(version: settings.identity.software)
        self.context = context
        var logger = logger
        logger[metadataKey: "worker"] = "\(settings.identity.workerID)"
        self.logger = logger
    }

    /// Registers and heartbeats until graceful shutdown (then deregisters); throws
    /// ``WorkerError/refused(_:)`` if the coordinator refuses this worker.
    public func run() async throws {
        let (inputs, feed) = AsyncStream<Input>.makeStream()
        let tickInterval = settings.tickInterval
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: tickInterval)
                feed.yield(.tick)
            }
        }
        var connection: (socket: ZMQSocketLoop, forwarder: Task<Void, Never>, monitor: ZMQMonitor?)?
        var generation = 0
        let liveSocket = Mutex<ZMQSocketLoop?>(nil)
        let metrics = self.metrics
        nonisolated(unsafe) let executor = ShardExecutor(threads: settings.identity.cores,
                                                          growsWholeTrees: settings.growsWholeTrees,
                                                          cacheBytes: settings.shardCacheBytes)
        let compute = DispatchQueue(label: "trainyard.worker.compute")
        let logger = self.logger
        var session = WorkerSession(settings: settings, now: .now)
        var failure: String?

        func disconnect() {
            liveSocket.withLock { $0 = nil }
            connection?.socket.close()
            connection?.forwarder.cancel()
            connection?.monitor?.close()
            connection = nil
        }

        func send(_ message: Message) {
            let envelope = Envelope(message, version: settings.protocolVersion)
            connection?.socket.send(WireCodec.encode(envelope))
        }

        func execute(_ output: WorkerSession.Output) throws {
            for event in output.events { log(event) }
            for directive in output.directives {
                switch directive {
                case .connect:
                    disconnect()
                    generation += 1
                    let (socket, monitor) = try connect()
                    let current = generation
                    let forwarder = Task {
                        for await frames in socket.messages { feed.yield(.frames(frames, generation: current)) }
                    }
                    connection = (socket, forwarder, monitor)
                    liveSocket.withLock { $0 = socket }
                    logger.info("connecting to coordinator", metadata: ["endpoint": "\(settings.connect)"])
                case .disconnect: disconnect()
                case .sendRegister: send(.register(settings.identity))
                case .sendHeartbeat: send(.heartbeat)
                case .sendDeregister(let reason): send(.deregister(Deregister(reason: reason)))
                case .fail(let reason):
                    failure = reason
                    feed.finish()
                }
            }
        }

        defer { ticker.cancel() }
        try await withGracefulShutdownHandler {
            try execute(session.start(now: .now))
            for await input in inputs {
                let now = ContinuousClock.now
                switch input {
                case .tick:
                    try execute(session.tick(now: now))
                case .frames(let frames, let from):
                    guard from == generation else { continue }
                    do {
                        let envelope = try WireCodec.decode(frames)
                        let output = session.received(envelope.message, now: now)
                        if output.events.contains(where: { if case .registered(_, true) = $0 { true } else { false } }) {
                            compute.async { executor.dropAll() }
                        }
                        try execute(output)
                        if ShardCalls.trainingTypes.contains(envelope.message.type) {
                            compute.async {
                                let start = ContinuousClock.now, hits = executor.cacheHits
                                let reply = executor.handle(envelope)
                                let shardBytes = envelope.message.type == .shardChunk ? envelope.message.payload.first?.frame.count ?? 0 : 0
                                metrics.answered(envelope.message.type, duration: ContinuousClock.now - start, shardBytes: shardBytes,
                                                 cacheHits: executor.cacheHits - hits)
                                guard let reply else { return }
                                if case .error(let error) = reply {
                                    logger.warning("refused a training request", metadata: [
                                        "type": "\(envelope.message.type)", "error": "\(error.message)"])
                                }
                                let frames = WireCodec.encode(Envelope(reply, jobID: envelope.jobID, correlationID: envelope.correlationID))
                                liveSocket.withLock { $0?.send(frames) }
                            }
                        }
                    } catch let error as ProtocolError {
                        logger.warning("ignored a malformed message from the coordinator", metadata: ["error": "\(error)"])
                    }
                case .shutdown:
                    try execute(session.shutdown(reason: "graceful shutdown"))
                    feed.finish()
                }
            }
        } onGracefulShutdown: {
            feed.yield(.shutdown)
        }

        if let socket = connection?.socket {
            socket.close()
            await socket.closed()
        }
        connection?.forwarder.cancel()
        connection?.monitor?.close()
        if let failure {
            logger.error("worker stopped", metadata: ["reason": "\(failure)"])
            throw WorkerError.refused(failure)
        }
        logger.info("worker stopped")
    }

    /// The DEALER socket to the coordinator and, with CURVE, the monitor that logs why a
    /// handshake fails (the socket itself only ever shows silence).
    private func connect() throws -> (ZMQSocketLoop, ZMQMonitor?) {
        let settings = self.settings
        let flushMs = Int32(settings.shutdownFlush / .milliseconds(1))
        let monitorEndpoint = ZMQMonitor.endpoint("worker")
        let socket = try ZMQSocketLoop(context: context, kind: .dealer, name: "worker-dealer") { socket in
            // Linger lets a deregistration leave on shutdown; reconnects close the old socket
            // too, and anything still queued there is stale, so keep the window short.
            try socket.set(.linger(milliseconds: flushMs))
            try socket.set(.routingID(Array(settings.identity.workerID.utf8)))
            try socket.set(.reconnectInterval(milliseconds: 100))
            try socket.set(.reconnectIntervalMax(milliseconds: 2000))
            if let curve = settings.curve {
                try curve.apply(to: socket)
                try socket.set(.handshakeInterval(milliseconds: 10_000))
                try socket.monitor(monitorEndpoint, events: ZMQMonitorEvent.handshakeEvents)
            }
            try socket.connect(settings.connect)
        }
        guard let curve = settings.curve else { return (socket, nil) }
        let logger = self.logger
        let monitor = try ZMQMonitor(context: context, endpoint: monitorEndpoint) { event in
            switch event {
            case .handshakeSucceeded(let endpoint):
                logger.debug("CURVE handshake with the coordinator succeeded", metadata: ["endpoint": "\(endpoint)"])
            case .handshakeFailedAuth(let endpoint, let status):
                logger.error("the coordinator refused this worker's CURVE key: cannot complete the handshake; add the worker's public key to the coordinator's --curve-allow", metadata: [
                    "endpoint": "\(endpoint)", "zapStatus": "\(status)", "key": "\(curve.publicKey.z85)"])
            case .handshakeFailedProtocol(let endpoint, let code):
                logger.error("cannot complete the CURVE handshake with the coordinator: does --coordinator-public-key hold its key, and does it run with CURVE?", metadata: [
                    "endpoint": "\(endpoint)", "protocolError": "0x\(String(code, radix: 16))"])
            case .handshakeFailedNoDetail(let endpoint, let errno):
                logger.warning("cannot complete the CURVE handshake with the coordinator (the connection closed during it: a wrong --coordinator-public-key, or a coordinator without CURVE)", metadata: [
                    "endpoint": "\(endpoint)", "errno": "\(errno)"])
            case .other:
                break
            }
        }
        return (socket, monitor)
    }

    private func log(_ event: WorkerSession.Event) {
        switch event {
        case .registered(let coordinatorID, let restarted):
            logger.info(restarted ? "registered with restarted coordinator" : "registered with coordinator",
                        metadata: ["coordinator": "\(coordinatorID)"])
        case .coordinatorSilent(let delay):
            logger.warning("coordinator silent; reconnecting", metadata: ["retryInSeconds": "\(delay.seconds)"])
        case .reregisterRequested:
            logger.info("coordinator does not know this worker; registering again")
        case .coordinatorError(let reply):
            if reply.code != .unknownWorker {
                logger.error("coordinator error", metadata: ["code": "\(reply.code.rawValue)", "message": "\(reply.message)"])
            }
        }
    }
}
