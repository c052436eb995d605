import DistributedTraining
import Foundation
import Logging
import ServiceLifecycle
import TrainyardProtocol
import ZeroMQ

/// The coordinator process: a ROUTER socket, the ``Membership`` state machine, the job API
/// and the ``JobScheduler`` that trains jobs on the workers, run as a swift-service-lifecycle
/// `Service`.
///
/// One task owns the state machine and consumes a single stream of socket messages and
/// clock ticks, so no lock guards it; replies go back through the socket loop's outbox.
/// On graceful shutdown the socket is closed and `run()` returns.
public final class CoordinatorService: Service {
    private enum Input: Sendable {
        case frames([ZMQFrame])
        case tick
    }

    public let settings: CoordinatorSettings
    /// Random per process: workers see it change when the coordinator restarts.
    public let coordinatorID: String
    private let context: ZMQContext
    private let logger: Logger
    /// Its Prometheus metrics (served by `coordinator --metrics-listen`).
    public let metrics: CoordinatorMetrics

    /// A coordinator that will bind `settings.bind` when run; nothing is opened before ``run()``.
    public init(settings: CoordinatorSettings, context: ZMQContext, logger: Logger) {
        self.settings = settings
        self.context = context
        self.logger = logger
        self.coordinatorID = String(UUID().uuidString.prefix(8)).lowercased()
        metrics = CoordinatorMetrics(version: settings.software)
    }

    /// Binds the ROUTER socket and serves until graceful shutdown; throws if the bind fails
    /// (e.g. the address is in use), after closing the socket.
    public func run() async throws {
        let logger = self.logger
        let settings = self.settings
        let security = try startSecurity()
        defer { security?.stop() }
        let monitorEndpoint = ZMQMonitor.endpoint("coordinator")
        let socket = try ZMQSocketLoop(
            context: context, kind: .router, name: "coordinator-router",
            onSendFailure: { failure in
                logger.debug("dropped a message to a departed peer", metadata: [
                    "peer": "\(PeerID(failure.firstFrame.bytes))", "error": "\(failure.error)"])
            },
            configure: { socket in
                try socket.set(.linger(milliseconds: 0))
                try socket.set(.routerMandatory(true))
                try socket.set(.routerHandover(true))
                try socket.set(.maxMessageSize(settings.maxMessageBytes))
                try socket.set(.sendHighWaterMark(10_000))
                try socket.set(.receiveHighWaterMark(10_000))
                if let curve = settings.curve {
                    try socket.set(.curveServer(true))
                    try socket.set(.curveSecretKey(curve.secretKey.bytes))
                    try socket.set(.zapDomain("trainyard"))
                    try socket.set(.handshakeInterval(milliseconds: 10_000))
                    try socket.monitor(monitorEndpoint, events: ZMQMonitorEvent.handshakeEvents)
                }
                try socket.bind(settings.bind)
            })
        let monitor = try settings.curve.map { _ in
            try ZMQMonitor(context: context, endpoint: monitorEndpoint) { event in
                switch event {
                case .handshakeFailedProtocol(let endpoint, let code):
                    logger.warning("a peer failed the CURVE handshake (a plaintext peer, or one with another coordinator key)", metadata: [
                        "endpoint": "\(endpoint)", "protocolError": "0x\(String(code, radix: 16))"])
                case .handshakeFailedNoDetail(let endpoint, let errno):
                    logger.debug("a CURVE handshake did not complete", metadata: ["endpoint": "\(endpoint)", "errno": "\(errno)"])
                case .handshakeFailedAuth, .handshakeSucceeded, .other:
                    break  // refusals are logged by the ZAP handler, with the key
                }
            }
        }
        defer { monitor?.close() }
        logger.info("coordinator listening", metadata: [
            "endpoint": "\(socket.boundEndpoint ?? settings.bind)", "coordinator": "\(coordinatorID)",
            "protocol": "\(ProtocolVersion.current)",
            "security": "\(settings.curve.map { "CURVE, \($0.allowed.keys.count) allowed keys, public key \((try? $0.secretKey.publicKey().z85) ?? "?")" } ?? "none (plaintext)")"])

        let (inputs, feed) = AsyncStream<Input>.makeStream()
        let forwarder = Task {
            for await frames in socket.messages { feed.yield(.frames(frames)) }
            feed.finish()
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: settings.tickInterval)
                feed.yield(.tick)
            }
        }
        defer {
            ticker.cancel()
            forwarder.cancel()
        }

        let store: JobStore
        let dataRoots: DataRoots
        do {
            // Datasets fetched from the registry are read from the coordinator's own copy.
            try? FileManager.default.createDirectory(atPath: settings.jobs.datasetsDirectory, withIntermediateDirectories: true)
            dataRoots = try DataRoots(settings.jobs.dataRoots + (settings.jobs.datasets == nil ? [] : [settings.jobs.datasetsDirectory]))
        } catch {
            socket.close()
            await socket.closed()
            throw CoordinatorError.dataRoot(error)
        }
        do {
            store = try JobStore(path: settings.jobs.databasePath)
        } catch {
            socket.close()
            await socket.closed()
            throw CoordinatorError.jobStore(path: settings.jobs.databasePath, reason: "\(error)")
        }
        logger.info("job data is read from", metadata: ["dataRoots": "\(dataRoots.configured.joined(separator: ", "))"])
        let link = ClusterLink(socket: socket)
        metrics.attach(store: store, link: link)
        let scheduler = JobScheduler(settings: settings.jobs, dataRoots: dataRoots, store: store, link: link,
                                     software: settings.software, logger: logger)
        scheduler.start()
        let pipelines = settings.jobs.registry.map { PipelineRunner(scheduler: scheduler, registry: $0, logger: logger) }
        pipelines?.start()
        let jobs = Jobs(link: link, requests: JobRequestQueue(scheduler: scheduler, pipelines: pipelines, logger: logger))

        var state = LoopState(membership: Membership(settings: settings.membership, coordinatorID: coordinatorID, now: .now),
                              status: StatusCache(maxAge: settings.tickInterval))
        await withGracefulShutdownHandler {
            for await input in inputs {
                let now = ContinuousClock.now
                switch input {
                case .tick:
                    let output = state.membership.tick(now: now)
                    execute(output, on: socket, state: &state, jobs: jobs)
                    if state.metricsStale {
                        metrics.workersChanged(state.membership.countsByState)
                        state.metricsStale = false
                    }
                case .frames(let frames): handle(frames, state: &state, socket: socket, jobs: jobs, now: now)
                }
            }
        } onGracefulShutdown: {
            socket.close()
        }
        pipelines?.stop()
        scheduler.stop()
        socket.close()
        await socket.closed()
        logger.info("coordinator stopped", metadata: ["coordinator": "\(coordinatorID)"])
    }

    /// With CURVE, checks libzmq supports it and starts the ZAP handler that admits only
    /// allowlisted keys, logging every refusal with the key; `nil` without CURVE.
    private func startSecurity() throws -> ZAPHandler? {
        guard let curve = settings.curve else { return nil }
        guard CurveKey.isAvailable else { throw CoordinatorError.curve(CurveKeyError.unsupported.description) }
        let logger = self.logger
        do {
            return try ZAPHandler(context: context) { request in
                guard request.mechanism == "CURVE", let key = request.clientKey else {
                    logger.warning("refused a peer without CURVE credentials", metadata: [
                        "address": "\(request.address)", "mechanism": "\(request.mechanism)"])
                    return ZAPHandler.Decision(allowed: false, reason: "CURVE required")
                }
                guard curve.allowed.allows(key) else {
                    logger.warning("refused a peer whose CURVE key is not in --curve-allow", metadata: [
                        "address": "\(request.address)", "key": "\(key.z85)"])
                    return ZAPHandler.Decision(allowed: false, reason: "key not allowed")
                }
                logger.debug("admitted a CURVE peer", metadata: ["address": "\(request.address)", "key": "\(key.z85)"])
                return ZAPHandler.Decision(allowed: true, reason: "OK", userID: key.z85)
            }
        } catch {
            throw CoordinatorError.curve("the ZAP handler could not bind \(ZAPHandler.endpoint): \(error)")
        }
    }

    /// What the message handlers need besides membership.
    private struct Jobs {
        let link: ClusterLink
        let requests: JobRequestQueue
    }

    /// What the membership loop owns: the table and the status reply built from it.
    private struct LoopState {
        var membership: Membership
        var status: StatusCache
        /// Membership changed since the metrics last counted workers (they count once per tick, not per event:
        /// a churning table of a thousand workers must not pay a count per message).
        var metricsStale = false
    }

    private func handle(_ frames: [ZMQFrame], state: inout LoopState, socket: ZMQSocketLoop, jobs: Jobs,
                        now: ContinuousClock.Instant) {
        guard frames.count >= 2 else {
            logger.warning("ignored a message with no frames after the routing id")
            return
        }
        let peer = PeerID(frames[0].bytes)
        // Bound the JSON the loop decodes before decoding it (InboundTriage).
        if frames.count >= 3, let header = try? Header.decode(frames[1]) {
            switch InboundTriage.of(header, metadataBytes: frames[2].count) {
            case .decodeHere:
                break
            case .refuse(let violation):
                logger.warning("refused an oversized message", metadata: ["peer": "\(peer)", "error": "\(violation)"])
                reply(error: ErrorReply(violation), to: peer, correlationID: header.correlationID, on: socket)
                return
            case .jobRequest:
                state.membership.markSeen(peer, now: now)
                let correlationID = header.correlationID
                jobs.requests.answer(frames[1...], header: header, peer: peer) { [self] answer in
                    send(answer, to: peer, correlationID: correlationID, on: socket)
                }
                return
            case .largeTrainingReply:
                state.membership.markSeen(peer, now: now)
                guard let worker = state.membership.workerID(for: peer), jobs.link.awaits(header.correlationID, from: worker) else {
                    logger.debug("dropped a late or unsolicited reply unread", metadata: [
                        "peer": "\(peer)", "type": "\(header.type)", "metadataBytes": "\(frames[2].count)"])
                    return
                }
            case .answerFromHeader:
                state.membership.markSeen(peer, now: now)
                reply(error: InboundTriage.refusal(of: header.type), to: peer, correlationID: header.correlationID, on: socket)
                return
            }
        }
        let envelope: Envelope
        do {
            envelope = try WireCodec.decode(frames[1...])
        } catch {
            // A worker owing replies that sends something undecodable (frame lengths that
            // disagree with its metadata, a truncated header) fails those requests now
            // instead of leaving the job to the request timeout.
            if let worker = state.membership.workerID(for: peer),
               jobs.link.reject(from: worker, reason: "an undecodable message (\(error))") {
                logger.warning("a worker's reply could not be decoded; its pending requests fail", metadata: [
                    "worker": "\(worker)", "error": "\(error)"])
            }
            refuse(peer: peer, error: error, headerFrame: frames[1], socket: socket)
            return
        }
        let correlationID = envelope.correlationID
        switch envelope.message {
        case .register(let request):
            let output = state.membership.register(request, from: peer, correlationID: correlationID, now: now)
            execute(output, on: socket, state: &state, jobs: jobs)
        case .heartbeat:
            execute(state.membership.heartbeat(from: peer, correlationID: correlationID, now: now), on: socket, state: &state,
                    jobs: jobs)
        case .deregister(let request):
            execute(state.membership.deregister(request, from: peer, correlationID: correlationID, now: now), on: socket,
                    state: &state, jobs: jobs)
        case .statusRequest:
            state.membership.markSeen(peer, now: now)
            let reply = state.status.reply(correlationID: correlationID, membership: state.membership, now: now)
            socket.send([ZMQFrame(bytes: peer.bytes)] + reply)
        case .echoRequest(let payload):
            state.membership.markSeen(peer, now: now)
            send(.echoReply(payload), to: peer, correlationID: correlationID, jobID: envelope.jobID, on: socket)
        case .error(let reply):
            state.membership.markSeen(peer, now: now)
            let size = frames.reduce(0) { $0 + $1.count }
            if let worker = state.membership.workerID(for: peer), jobs.link.deliver(from: worker, envelope, bytes: size) { return }
            logger.warning("peer reported an error", metadata: ["peer": "\(peer)", "error": "\(reply)"])
        case .welcome, .statusReply, .echoReply:
            state.membership.markSeen(peer, now: now)
            reply(error: ErrorReply(.unexpected(envelope.message.type)), to: peer, correlationID: correlationID, on: socket)
        case .other(let type, _, _):
            state.membership.markSeen(peer, now: now)
            if ShardCalls.replyTypes.contains(type) {
                let size = frames.reduce(0) { $0 + $1.count }
                guard let worker = state.membership.workerID(for: peer), jobs.link.deliver(from: worker, envelope, bytes: size) else {
                    logger.debug("dropped a late or unsolicited reply", metadata: ["peer": "\(peer)", "type": "\(type)"])
                    return
                }
            } else {
                // Job API requests never get here (InboundTriage sends them to the job request queue).
                reply(error: InboundTriage.refusal(of: type), to: peer, correlationID: correlationID, on: socket)
            }
        }
    }

    /// Answers an undecodable message with an error reply naming what was wrong.
    private func refuse(peer: PeerID, error: ProtocolError, headerFrame: ZMQFrame, socket: ZMQSocketLoop) {
        let correlationID = Header.peekIDs(headerFrame)?.correlationID ?? 0
        if case .unsupportedVersion(let version) = error {
            logger.warning("refused a peer speaking another protocol version", metadata: [
                "peer": "\(peer)", "peerVersion": "\(version)", "supported": "\(ProtocolVersion.supported)"])
        } else {
            logger.warning("refused a malformed message", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
        reply(error: ErrorReply(error), to: peer, correlationID: correlationID, on: socket)
    }

    private func execute(_ output: Membership.Output, on socket: ZMQSocketLoop, state: inout LoopState, jobs: Jobs) {
        let membership = state.membership
        if !output.events.isEmpty { state.status.invalidate() }
        for event in output.events {
            log(event)
            switch event {
            case .died(let id, _), .left(let id, _), .rejoined(let id): jobs.link.workerLost(id)
            case .joined, .forgotten, .refused: break
            }
        }
        if !output.events.isEmpty {
            jobs.link.update(alive: membership.alivePeers)
            state.metricsStale = true
        }
        for directive in output.directives {
            switch directive {
            case .sendWelcome(let peer, let welcome, let correlationID):
                send(.welcome(welcome), to: peer, correlationID: correlationID, on: socket)
            case .sendHeartbeat(let peer):
                send(.heartbeat, to: peer, correlationID: 0, on: socket)
            case .sendError(let peer, let error, let correlationID):
                reply(error: error, to: peer, correlationID: correlationID, on: socket)
            }
        }
    }

    private func reply(error: ErrorReply, to peer: PeerID, correlationID: UInt64, on socket: ZMQSocketLoop) {
        send(.error(error), to: peer, correlationID: correlationID, on: socket)
    }

    private func send(_ message: Message, to peer: PeerID, correlationID: UInt64, jobID: UInt64 = 0,
                      on socket: ZMQSocketLoop) {
        let frames = WireCodec.encode(Envelope(message, jobID: jobID, correlationID: correlationID))
        socket.send([ZMQFrame(bytes: peer.bytes)] + frames)
    }

    private func log(_ event: Membership.Event) {
        switch event {
        case .joined(let id): logger.info("worker joined", metadata: ["worker": "\(id)"])
        case .rejoined(let id): logger.info("worker re-registered", metadata: ["worker": "\(id)"])
        case .died(let id, let silence):
            logger.warning("worker declared dead", metadata: ["worker": "\(id)", "silentSeconds": "\(silence.seconds)"])
        case .left(let id, let reason): logger.info("worker left", metadata: ["worker": "\(id)", "reason": "\(reason)"])
        case .forgotten(let id): logger.debug("worker forgotten", metadata: ["worker": "\(id)"])
        case .refused(let peer, let reason):
            logger.warning("registration refused", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
        }
    }
}
